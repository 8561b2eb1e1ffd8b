# tryon — one non-recursive Makefile. `make help` lists the targets.
#
# Knobs (never put a trailing comment on these lines: make keeps the spaces
# before '#' in the value and the ifeq tests below then fail silently):
#   CUDA=auto|0|1   auto = 1 when nvcc is found; CUDA sources compile without a GPU
#   CUDA_ARCH       SM list for the normal build (one -gencode each)
#   SAN             host sanitizers, e.g. SAN=address,undefined or SAN=thread
#   TORCH=1|0       0 skips the PyTorch reference comparisons (they need python3-torch)
#   PREFIX          install prefix
CUDA      ?= auto
CUDA_ARCH ?= 80 90
SAN       ?=
TORCH     ?= 1
PREFIX    ?= /usr/local
PYTHON    ?= /usr/bin/python3
CUDA_HOME ?= /usr/local/cuda
NVCC      ?= $(CUDA_HOME)/bin/nvcc
CC        ?= cc
V         ?= 0

NVCC_FOUND := $(if $(wildcard $(NVCC)),1,$(if $(shell command -v nvcc 2>/dev/null),1,0))
ifeq ($(NVCC_FOUND),1)
  ifeq ($(wildcard $(NVCC)),)
    NVCC := $(shell command -v nvcc)
  endif
endif
ifeq ($(CUDA),auto)
  CUDA := $(NVCC_FOUND)
endif
ifneq ($(filter-out 0 1,$(CUDA)),)
  $(error CUDA must be auto, 0 or 1)
endif

ifeq ($(V),0)
  Q = @echo "  $(if $(filter %.cu,$<),NVCC,CC)   $<";
endif

# One build folder per configuration, so that switching never mixes objects.
comma := ,
VARIANT := $(if $(filter $(CUDA),$(NVCC_FOUND)),,-cuda$(CUDA))$(if $(SAN),-san-$(subst $(comma),-,$(SAN)))
BUILD := build$(if $(VARIANT),/variant$(VARIANT))

CPPFLAGS += -Iinclude -Iruntime -Ikernels -Inets -DTR_WITH_CUDA=$(CUDA) -D_GNU_SOURCE -MMD -MP
CFLAGS   += -std=c11 -O2 -g -fPIC -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wno-unused-parameter -pthread
LDFLAGS  +=
LDLIBS   += -lm -pthread

PNG_CFLAGS   := $(shell pkg-config --cflags libpng 2>/dev/null)
PNG_LIBS     := $(shell pkg-config --libs libpng 2>/dev/null || echo -lpng)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm)
CPPFLAGS += $(PNG_CFLAGS)
LDLIBS   += $(PNG_LIBS)

ifneq ($(SAN),)
  CFLAGS  += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=$(SAN)
endif

NVCCFLAGS := -O3 -lineinfo -std=c++17 -Xcompiler -fPIC,-Wall,-Wextra,-Werror,-Wno-unused-parameter \
             --Werror all-warnings -Iinclude -Iruntime -Ikernels -DTR_WITH_CUDA=1
# No contraction of a*b + c into an FMA: the v0 kernels then round exactly as
# the C11 CPU reference does (bitwise-equal results); fast variants call fmaf().
NVCCFLAGS += --fmad=false
ifeq ($(CUDA),1)
  CUDA_SRC := $(wildcard kernels/cuda/*.cu)
  LDLIBS   += -L$(CUDA_HOME)/lib64 -lcudart_static -ldl -lrt -lstdc++
  GENCODE  := $(foreach a,$(CUDA_ARCH),-gencode arch=compute_$(a),code=sm_$(a))
endif

# --- vendor baselines (--kernels vendor): cuDNN and cuBLAS ----------------------
# CUDNN_HOME holds include/cudnn.h and lib/libcudnn.so.9: the CUDA toolkit when
# it has cuDNN, else the nvidia-cudnn-cu13 Python package of python3 (PyTorch's
# environment). CUBLAS_HOME likewise (include/cublas_v2.h, lib*/libcublas.so.*).
# VENDOR=0 builds without them (the vendor kernels then report UNSUPPORTED).
# Binaries get an rpath to both library folders.
PY_PKG_DIR = $(shell for p in python3 $(PYTHON); do $$p -c 'import importlib, sys; m = importlib.import_module(sys.argv[1]); print(list(m.__path__)[0])' $(1) 2>/dev/null && break; done)
ifeq ($(CUDA),1)
  ifeq ($(origin CUDNN_HOME),undefined)
    CUDNN_HOME := $(if $(wildcard $(CUDA_HOME)/include/cudnn.h),$(CUDA_HOME),$(call PY_PKG_DIR,nvidia.cudnn))
  endif
  ifeq ($(origin CUBLAS_HOME),undefined)
    CUBLAS_HOME := $(if $(wildcard $(CUDA_HOME)/include/cublas_v2.h),$(CUDA_HOME),$(firstword $(foreach m,nvidia.cublas nvidia.cu13,$(if $(wildcard $(call PY_PKG_DIR,$(m))/include/cublas_v2.h),$(call PY_PKG_DIR,$(m))))))
  endif
  CUDNN_LIB := $(firstword $(wildcard $(CUDNN_HOME)/lib/libcudnn.so.9 $(CUDNN_HOME)/lib64/libcudnn.so.9))
  CUBLAS_LIB := $(firstword $(wildcard $(CUBLAS_HOME)/lib64/libcublas.so.1[0-9] $(CUBLAS_HOME)/lib/libcublas.so.1[0-9]))
  CUBLASLT_LIB := $(firstword $(wildcard $(CUBLAS_HOME)/lib64/libcublasLt.so.1[0-9] $(CUBLAS_HOME)/lib/libcublasLt.so.1[0-9]))
  VENDOR ?= $(if $(and $(wildcard $(CUDNN_HOME)/include/cudnn.h),$(CUDNN_LIB),$(wildcard $(CUBLAS_HOME)/include/cublas_v2.h),$(CUBLAS_LIB),$(CUBLASLT_LIB)),1,0)
else
  VENDOR := 0
endif
ifeq ($(VENDOR),1)
  NVCCFLAGS += -DTR_WITH_VENDOR=1 -I$(CUDNN_HOME)/include -I$(CUBLAS_HOME)/include
  LDLIBS    += $(CUDNN_LIB) $(CUBLAS_LIB) $(CUBLASLT_LIB) \
               -Wl,-rpath,$(dir $(CUDNN_LIB)) -Wl,-rpath,$(dir $(CUBLAS_LIB))
endif

LIB_SRC  := $(wildcard runtime/*.c kernels/cpu/*.c kernels/fast/*.c nets/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CUDA_SRC:%.cu=$(BUILD)/%.cu.o)
CLI_SRC  := $(wildcard tools/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_UTIL_OBJ := $(BUILD)/tests/util.o
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
GPU_TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/gpu_*.c))
# Host emulation of the CUDA kernels (tests/emu_*.cu, compiled by nvcc, run on
# the CPU against the reference kernels): part of the CPU suites.
EMU_TEST_BINS := $(if $(filter 1,$(CUDA)),$(patsubst tests/%.cu,$(BUILD)/tests/%,$(wildcard tests/emu_*.cu)))

VERSION_MAJOR := $(shell sed -n 's/^\#define TRYON_VERSION_MAJOR //p' include/tryon.h)
VERSION := $(shell sed -n 's/^\#define TRYON_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' include/tryon.h | paste -sd.)
LIB_A  := $(BUILD)/libtryon.a
LIB_SO := $(BUILD)/libtryon.so
CLI    := $(BUILD)/tryon
BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)
BENCH  := $(BUILD)/tryon-bench

.PHONY: bench all lib cli tests test test-cpu test-gpu test-cli cuda-check install uninstall clean \
        format format-check help ref weights demo print-cli
.DEFAULT_GOAL := all
# Keep test objects: they are intermediate files of the test binaries, and make
# would otherwise delete them after every link and rebuild them next time.
.SECONDARY:

all: lib cli tests $(BENCH)
lib: $(LIB_A) $(LIB_SO)
cli: $(CLI)
tests: $(TEST_BINS) $(GPU_TEST_BINS) $(EMU_TEST_BINS)

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(@D)
	@echo "  AR   $@"; rm -f $@ && ar rcs $@ $^

# The version script exports only tryon_*: internal tr_* symbols stay local, so
# they cannot collide with an application's (libcheck, for one, has tr_free).
$(LIB_SO): $(LIB_OBJ) tools/tryon.map
	@mkdir -p $(@D)
	@echo "  LD   $@"; $(CC) -shared -Wl,--version-script=tools/tryon.map -Wl,-soname,libtryon.so.$(VERSION_MAJOR) \
	  $(LDFLAGS) -o $@ $(LIB_OBJ) $(LDLIBS)

$(CLI): $(CLI_OBJ) $(LIB_A)
	@echo "  LD   $@"; $(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH): $(BENCH_OBJ) $(LIB_A)
	@echo "  LD   $@"; $(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%.o: CPPFLAGS += -Ibench $(if $(filter 1,$(CUDA)),-I$(CUDA_HOME)/include)

# Fast CPU kernels (kernels/fast): one file per ISA, each with its own flags;
# the library picks one at run time. On x86-64 the AVX2 and AVX-512 files get
# their -m flags (any x86-64 compiler builds them, any x86-64 CPU runs the
# library); elsewhere they compile to nothing and only the portable file runs.
# No FMA contraction: the kernels choose where to fuse (kernels/fast/vec.h).
FAST_X86 := $(if $(filter x86_64-%,$(shell $(CC) -dumpmachine)),1,0)
$(BUILD)/kernels/fast/isa_%.o: CFLAGS += -ffp-contract=off
ifeq ($(FAST_X86),1)
$(BUILD)/kernels/fast/isa_avx512.o: CFLAGS += -mavx512f -mavx512vl -mavx512dq -mavx512bw -mfma
$(BUILD)/kernels/fast/isa_avx2.o: CFLAGS += -mavx2 -mfma
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.cu.o: %.cu
	@mkdir -p $(@D)
	$(Q)$(NVCC) $(NVCCFLAGS) $(GENCODE) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: CPPFLAGS += $(CHECK_CFLAGS) -Itests
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_UTIL_OBJ) $(LIB_A)
	@echo "  LD   $@"; $(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)
$(BUILD)/tests/gpu_%: $(BUILD)/tests/gpu_%.o $(TEST_UTIL_OBJ) $(BUILD)/tests/harness_gpu.o $(LIB_A)
	@echo "  LD   $@"; $(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)
# Strict aliasing off: the emulated tensor-core fragments read 16-bit pairs as 32-bit words.
# With SAN the emulated device code runs under the sanitizers too (its indexing is the kernels');
# one -Xcompiler per sanitizer, since nvcc splits -Xcompiler values at commas.
EMU_SAN := $(if $(SAN),$(foreach s,$(subst $(comma), ,$(SAN)),-Xcompiler -fsanitize=$(s)) \
             -Xcompiler -fno-omit-frame-pointer -Xcompiler -fno-sanitize-recover=all)
$(BUILD)/tests/emu_%.cu.o: tests/emu_%.cu
	@mkdir -p $(@D)
	$(Q)$(NVCC) $(NVCCFLAGS) -Xcompiler -fno-strict-aliasing $(EMU_SAN) \
	  -Itests -Ikernels/cuda $(filter -I% -D%,$(CHECK_CFLAGS)) \
	  -gencode arch=compute_80,code=sm_80 -MMD -MP -c -o $@ $<
$(BUILD)/tests/emu_%: $(BUILD)/tests/emu_%.cu.o $(TEST_UTIL_OBJ) $(LIB_A)
	@echo "  LD   $@"; $(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

# --- tests -------------------------------------------------------------------
# PyTorch reference fixtures are generated at test time, never committed.
REF_DIR := $(BUILD)/ref
# Tiny synthetic weights and inputs (tests/fuzz/make_files.sh, NumPy only): the
# CLI fuzz sandbox, seeds, and the nets of test_threads, test_oom, test-cli.
FUZZ_FILES := build/fuzz-files
REF_SCRIPTS := $(wildcard tests/ref/*.py)
$(REF_DIR)/.stamp: $(REF_SCRIPTS) $(wildcard tools/convert*.py tools/safetensors.py)
	@mkdir -p $(REF_DIR)
ifeq ($(TORCH),1)
	@$(PYTHON) -c 'import torch, numpy' 2>/dev/null || { echo "error: $(PYTHON) cannot import torch and numpy (apt-get install python3-torch python3-numpy), or run make test TORCH=0 to skip the PyTorch comparisons" >&2; exit 1; }
	@for s in $(filter tests/ref/torch_%.py,$(REF_SCRIPTS)); do \
	  echo "  REF  $$s"; $(PYTHON) $$s $(REF_DIR) || exit 1; done
endif
	@touch $@
ref: $(REF_DIR)/.stamp

# PoseNet references from TF.js itself (node; `npm ci` in tests/ref when its
# node_modules is missing): tests/ref/posenet_ref.sh. Skips cleanly offline.
DATA_DIR := $(if $(TRYON_DATA),$(TRYON_DATA),../shared/data)
POSENET_REF := $(REF_DIR)/posenet/.done
# A missing tests/ref/node_modules forces a rerun, which runs npm ci.
POSENET_REF_FORCE := $(if $(wildcard tests/ref/node_modules/@tensorflow/tfjs/package.json),,posenet-ref-force)
$(POSENET_REF): tests/ref/posenet_ref.sh tests/ref/tfjs_posenet.js tests/ref/package-lock.json \
                tools/convert_posenet.py $(POSENET_REF_FORCE)
	@sh tests/ref/posenet_ref.sh $(REF_DIR)/posenet $(PYTHON) $(DATA_DIR)
.PHONY: posenet-ref-force

test: test-cpu test-cli test-gpu test-fuzz-replay

# The net suites run the CLI (build/tryon) as well as the library. Sanitizer
# builds run several times slower: Check's timeouts stretch to match, and
# under ThreadSanitizer the few hour-long cases (real 512x512 nets) print SKIP.
CK_TIMEOUT_MULTIPLIER ?= $(if $(SAN),8,1)
TRYON_TEST_SKIP_SLOW ?= $(if $(findstring thread,$(SAN)),1,)
test-cpu: $(TEST_BINS) $(EMU_TEST_BINS) $(REF_DIR)/.stamp $(POSENET_REF) $(CLI) $(FUZZ_FILES)/.stamp
	@fail=0; for t in $(TEST_BINS) $(EMU_TEST_BINS); do \
	  TRYON_REF_DIR=$(REF_DIR) TRYON_TORCH=$(TORCH) TRYON_TEST_FILES=$(FUZZ_FILES) CK_FORK=yes \
	  CK_TIMEOUT_MULTIPLIER=$(CK_TIMEOUT_MULTIPLIER) TRYON_TEST_SKIP_SLOW=$(TRYON_TEST_SKIP_SLOW) \
	  $$t || fail=1; done; \
	  test $$fail = 0 || { echo "FAILED: CPU test suites" >&2; exit 1; }

test-gpu: $(GPU_TEST_BINS) $(FUZZ_FILES)/.stamp
	@fail=0; for t in $(GPU_TEST_BINS); do \
	  TRYON_REF_DIR=$(REF_DIR) TRYON_TEST_FILES=$(FUZZ_FILES) CK_FORK=no timeout 600 $$t || fail=1; done; \
	  test $$fail = 0 || { echo "FAILED: GPU test suites" >&2; exit 1; }

# The GPU suites under compute-sanitizer: memcheck (out-of-bounds and
# misaligned accesses, leaks), then racecheck (shared-memory hazards), on the
# suites' quick shapes (TRYON_GPU_QUICK=1).
.PHONY: test-gpu-sanitize
COMPUTE_SANITIZER ?= $(firstword $(wildcard $(CUDA_HOME)/bin/compute-sanitizer) $(shell command -v compute-sanitizer 2>/dev/null))
test-gpu-sanitize: $(GPU_TEST_BINS)
	@test -n "$(COMPUTE_SANITIZER)" || { echo "error: compute-sanitizer not found (CUDA_HOME/bin or PATH)" >&2; exit 1; }
	@fail=0; for tool in memcheck racecheck; do for t in $(GPU_TEST_BINS); do \
	  echo "  SANITIZE $$tool $$t"; \
	  TRYON_REF_DIR=$(REF_DIR) TRYON_GPU_QUICK=1 CK_FORK=no timeout 1800 $(COMPUTE_SANITIZER) \
	    --tool $$tool --error-exitcode 99 $$( [ $$tool = memcheck ] && echo --leak-check full ) $$t || fail=1; \
	  done; done; test $$fail = 0 || { echo "FAILED: compute-sanitizer" >&2; exit 1; }

test-cli: $(CLI) $(FUZZ_FILES)/.stamp
	@TRYON=$(CLI) BUILD=$(BUILD) FILES=$(FUZZ_FILES)/cli sh tests/cli_errors.sh
	@TRYON=$(CLI) BUILD=$(BUILD) PYTHON=$(PYTHON) sh tests/cli_pose.sh
	@TRYON=$(CLI) BUILD=$(BUILD) PYTHON=$(PYTHON) DATA=$(DATA_DIR) sh tests/cli_fit.sh

# --- demo: set-up on a fresh machine, then tryon fit (tools/demo.sh) -------------
DEMO_OUT ?= demo-out
demo:
	@sh tools/demo.sh $(PYTHON) $(DATA_DIR) $(DEMO_OUT)
print-cli:
	@echo $(CLI)

# --- fuzzing (tests/fuzz/README.md) --------------------------------------------
# `make fuzz FUZZ_SECONDS=N` builds each target with clang's libFuzzer (plus
# ASan and UBSan) in build/fuzz and runs it N seconds at nice 19, one at a
# time; new inputs go to build/fuzz/corpus/TARGET, crashes to
# build/fuzz/artifacts/TARGET. `make test` replays tests/fuzz/regress/TARGET
# and the seeds through the same targets built with cc (tests/fuzz/replay.c).
FUZZ_TARGETS := safetensors png npy cli
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_FLAGS   ?=
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -pthread $(FUZZ_SAN)
FUZZ_CPPFLAGS := -Iinclude -Iruntime -Ikernels -Inets -Itools -DTR_WITH_CUDA=0 -D_GNU_SOURCE \
                 $(PNG_CFLAGS) -MMD -MP
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_CLI_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(filter-out tools/main.c,$(CLI_SRC)))
CLI_LIB_OBJ  := $(filter-out $(BUILD)/tools/main.o,$(CLI_OBJ))
REPLAY_BINS  := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/replay_%)
.PHONY: fuzz fuzz-build test-fuzz-replay fuzz-files

$(FUZZ_FILES)/.stamp: tests/fuzz/make_files.sh $(wildcard tools/convert*.py) \
                      $(wildcard tests/corpus/*/*)
	@echo "  GEN  $(FUZZ_FILES)"; sh tests/fuzz/make_files.sh $(FUZZ_FILES) $(PYTHON)
	@touch $@
fuzz-files: $(FUZZ_FILES)/.stamp

# The fast kernels' per-ISA flags, as in the main build.
$(FUZZ_DIR)/obj/kernels/fast/isa_%.o: FUZZ_CFLAGS += -ffp-contract=off
ifeq ($(FAST_X86),1)
$(FUZZ_DIR)/obj/kernels/fast/isa_avx512.o: FUZZ_CFLAGS += -mavx512f -mavx512vl -mavx512dq -mavx512bw -mfma
$(FUZZ_DIR)/obj/kernels/fast/isa_avx2.o: FUZZ_CFLAGS += -mavx2 -mfma
endif
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  FUZZCC $<"; $(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	@echo "  LD   $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PNG_LIBS) -lm
$(FUZZ_DIR)/fuzz_cli: $(FUZZ_CLI_OBJ)
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

# Absolute paths: the cli target works in a sandbox folder (tests/fuzz/fuzz_cli.c).
fuzz: fuzz-build $(FUZZ_FILES)/.stamp
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
	  dict=; test -f tests/fuzz/$$t.dict && dict=-dict=$(abspath tests/fuzz)/$$t.dict; \
	  echo "  FUZZ $$t for $(FUZZ_SECONDS) s"; \
	  TRYON_FUZZ_FILES=$(abspath $(FUZZ_FILES))/cli nice -n 19 $(FUZZ_DIR)/fuzz_$$t \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=256 -max_len=65536 \
	    -close_fd_mask=3 -print_final_stats=1 $$dict $(FUZZ_FLAGS) \
	    -artifact_prefix=$(abspath $(FUZZ_DIR)/artifacts)/$$t/ \
	    $(abspath $(FUZZ_DIR)/corpus)/$$t $(abspath $(FUZZ_FILES)/seeds)/$$t \
	    >$(FUZZ_DIR)/$$t.log 2>&1 || { fail=1; echo "FAILED: fuzz $$t (see $(FUZZ_DIR)/$$t.log)" >&2; }; \
	  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov: ' $(FUZZ_DIR)/$$t.log | tail -3; \
	done; test $$fail = 0

# The replay: every target over its regression files and seeds, output kept
# in a log that is shown on failure.
$(BUILD)/tests/fuzz/%.o: CPPFLAGS += -Itools
$(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(LIB_A)
	@echo "  LD   $@"; $(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) $(LDLIBS)
$(BUILD)/tests/fuzz/replay_cli: $(CLI_LIB_OBJ)
REPLAY_INPUTS_safetensors = $(wildcard tests/corpus/*/*.safetensors) $(FUZZ_FILES)/cli
REPLAY_INPUTS_png = $(wildcard tests/corpus/*/*.png)
REPLAY_INPUTS_npy = $(wildcard tests/corpus/*/*.npy)
REPLAY_INPUTS_cli = $(FUZZ_FILES)/seeds/cli
test-fuzz-replay: $(REPLAY_BINS) $(FUZZ_FILES)/.stamp
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  case $$t in \
	  safetensors) in="$(REPLAY_INPUTS_safetensors)";; png) in="$(REPLAY_INPUTS_png)";; \
	  npy) in="$(REPLAY_INPUTS_npy)";; cli) in="$(REPLAY_INPUTS_cli)";; esac; \
	  test -d tests/fuzz/regress/$$t && in="tests/fuzz/regress/$$t $$in"; \
	  TRYON_FUZZ_FILES=$(FUZZ_FILES)/cli $(BUILD)/tests/fuzz/replay_$$t $$in \
	    >$(BUILD)/tests/fuzz/replay_$$t.log 2>&1 && tail -n 1 $(BUILD)/tests/fuzz/replay_$$t.log || \
	    { fail=1; tail -n 40 $(BUILD)/tests/fuzz/replay_$$t.log; echo "FAILED: fuzz replay $$t" >&2; }; \
	done; test $$fail = 0

# --- valgrind memcheck ------------------------------------------------------------
# Every CLI subcommand (successful and failing runs) and test_oom under
# valgrind: zero errors, nothing definitely/indirectly/possibly lost.
.PHONY: memcheck
memcheck: $(CLI) $(BUILD)/tests/test_oom $(FUZZ_FILES)/.stamp
	@TRYON=$(CLI) FILES=$(FUZZ_FILES) OOM=$(BUILD)/tests/test_oom LOGS=$(BUILD)/memcheck \
	  sh tests/memcheck.sh

# --- weights (git-ignored; never committed) -------------------------------------
weights: weights/posenet.safetensors
weights/posenet.safetensors: tools/fetch_posenet.sh tools/convert_posenet.py
	@sh tools/fetch_posenet.sh $(PYTHON) $(DATA_DIR)

# --- benchmarks ----------------------------------------------------------------
BENCH_ARGS ?= --max-seconds 30
BENCH_WEIGHTS := build/bench-weights/stylegan2-f256.safetensors
bench: $(BENCH) $(BENCH_WEIGHTS)
	@mkdir -p build/bench-weights
	$(BENCH) --weights build/bench-weights $(BENCH_ARGS)

build/bench-weights/stylegan2-f256.safetensors: tools/convert_stylegan2.py
	@mkdir -p $(@D)
	@echo "  SYNTH $@"; $(PYTHON) tools/convert.py stylegan2 --synth f256 $@

# CycleGAN / TransformerNet bench weights: random, in the official key layout
# (tools/convert.py cyclegan --synth, NumPy only), made when missing.
CYCLEGAN_BENCH_WEIGHTS := build/bench-weights/transformernet.safetensors \
                          build/bench-weights/cyclegan-resnet9.safetensors
bench: $(CYCLEGAN_BENCH_WEIGHTS)
build/bench-weights/transformernet.safetensors:
	@mkdir -p $(@D)
	$(PYTHON) tools/convert.py cyclegan --synth transformernet --seed 1 $@
build/bench-weights/cyclegan-resnet9.safetensors:
	@mkdir -p $(@D)
	$(PYTHON) tools/convert.py cyclegan --synth resnet9 --seed 1 $@

# PoseNet rows use the real weights (`make weights`: npm, or ../shared/data offline).
bench: weights/posenet.safetensors

# PyTorch and TF.js peers of the net rows, same inputs and thread count, then the
# tryon/peer ratios and a latency plot in build/bench-peers (bench/peers/run.sh).
BENCH_THREADS ?= $(shell nproc 2>/dev/null || echo 1)
BENCH_RUNS ?= 10
BENCH_WARMUP ?= 2
BENCH_MAX_SECONDS ?= 30
BENCH_KERNELS ?= own
.PHONY: bench-peers
bench-peers: $(BENCH) $(BENCH_WEIGHTS) $(CYCLEGAN_BENCH_WEIGHTS) weights/posenet.safetensors
	@BENCH_RUNS=$(BENCH_RUNS) BENCH_WARMUP=$(BENCH_WARMUP) BENCH_MAX_SECONDS=$(BENCH_MAX_SECONDS) \
	  BENCH_KERNELS=$(BENCH_KERNELS) sh bench/peers/run.sh $(BENCH) $(PYTHON) $(BENCH_THREADS) \
	  build/bench-peers $(DATA_DIR)

# The harness's own logic (statistics, comparison, JSON, verify-before-time) is
# unit-tested by tests/test_bench.c, linked with these bench objects.
BENCH_TEST_OBJ := $(addprefix $(BUILD)/bench/,harness.o runner.o child.o device.o report.o profile.o)
$(BUILD)/tests/test_bench: $(BENCH_TEST_OBJ)
$(BUILD)/tests/test_bench.o: CPPFLAGS += -Ibench

# --- CUDA compile gate (no GPU needed) ---------------------------------------
CUDA_CHECK_ARCHS := -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90a,code=sm_90a
cuda-check:
	@test -n "$(wildcard kernels/cuda/*.cu)" || { echo "no .cu files"; exit 0; }
	@command -v $(NVCC) >/dev/null || test -x $(NVCC) || { echo "error: nvcc not found" >&2; exit 1; }
	@mkdir -p build/cuda-check
	@for f in kernels/cuda/*.cu; do echo "  NVCC $$f (sm_80, sm_90a)"; \
	  $(NVCC) $(NVCCFLAGS) $(CUDA_CHECK_ARCHS) -c -o build/cuda-check/$$(basename $$f).o $$f || exit 1; done

# --- install -----------------------------------------------------------------
install: $(LIB_A) $(LIB_SO) $(CLI)
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/libtryon.so.$(VERSION)
	ln -sf libtryon.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libtryon.so.$(VERSION_MAJOR)
	ln -sf libtryon.so.$(VERSION_MAJOR) $(DESTDIR)$(PREFIX)/lib/libtryon.so
	install -m 644 include/tryon.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	  -e 's|@LIBS_PRIVATE@|$(LDLIBS)|' tools/tryon.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/tryon.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libtryon.a $(DESTDIR)$(PREFIX)/lib/libtryon.so* \
	  $(DESTDIR)$(PREFIX)/include/tryon.h $(DESTDIR)$(PREFIX)/bin/tryon \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/tryon.pc

format:
	clang-format -i $(wildcard include/*.h runtime/*.[ch] kernels/*.h kernels/cpu/*.[ch] kernels/fast/*.[ch] nets/*.[ch] tools/*.[ch] tests/*.[ch] bench/*.[ch])
format-check:
	clang-format --dry-run --Werror $(wildcard include/*.h runtime/*.[ch] kernels/*.h kernels/cpu/*.[ch] kernels/fast/*.[ch] nets/*.[ch] tools/*.[ch] tests/*.[ch] bench/*.[ch])

clean:
	rm -rf build

help:
	@echo "make              build $(BUILD)/libtryon.{a,so}, $(BUILD)/tryon and the tests"
	@echo "make test         CPU suites (fork mode), CLI error tests, GPU suite (SKIP without GPU)"
	@echo "make test SAN=address,undefined   the same under sanitizers"
	@echo "make CUDA=0 test  CPU-only build and tests"
	@echo "make cuda-check   compile every .cu for sm_80 and sm_90a, warnings as errors"
	@echo "make demo         install packages, build, fetch weights, run tryon fit (outputs in demo-out/)"
	@echo "make test SAN=thread              the same under ThreadSanitizer"
	@echo "make fuzz FUZZ_SECONDS=N          libFuzzer on each target for N s (needs clang)"
	@echo "make memcheck     valgrind on every CLI subcommand and the out-of-memory suite"
	@echo "make weights      fetch and convert weights/posenet.safetensors"
	@echo "make bench        tryon-bench: net and op rows, verified then timed (BENCH_ARGS=...)"
	@echo "make bench-peers  the nets in tryon, PyTorch and TF.js; ratios and build/bench-peers/latency.png"
	@echo "make install PREFIX=/usr/local"
	@echo "make test-gpu-sanitize   the GPU suites under compute-sanitizer (memcheck, racecheck)"

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BENCH_OBJ:.o=.d) $(TEST_UTIL_OBJ:.o=.d) \
         $(BUILD)/tests/harness_gpu.d $(EMU_TEST_BINS:=.cu.d) $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/fuzz_%.d) $(BUILD)/tests/fuzz/replay.d \
         $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_CLI_OBJ:.o=.d) $(FUZZ_TARGETS:%=$(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.d) \
         $(TEST_BINS:=.d) $(GPU_TEST_BINS:=.d)
