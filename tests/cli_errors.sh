#!/bin/sh
# cli_errors.sh — placeholder replaced below
exit 0
