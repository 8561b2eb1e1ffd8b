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
ifeq ($(CUDA),1)
  CUDA_SRC := $(wildcard kernels/cuda/*.cu)
  LDLIBS   += -L$(CUDA_HOME)/lib64 -lcudart_static -ldl -lrt -lstdc++
  GENCODE  := $(foreach a,$(CUDA_ARCH),-gencode arch=compute_$(a),code=sm_$(a))
endif

LIB_SRC  := $(wildcard runtime/*.c kernels/cpu/*.c nets/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CUDA_SRC:%.cu=$(BUILD)/%.cu.o)
CLI_SRC  := $(wildcard tools/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_UTIL_OBJ := $(BUILD)/tests/util.o
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
GPU_TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/gpu_*.c))

VERSION_MAJOR := $(shell sed -n 's/^\#define TRYON_VERSION_MAJOR //p' include/tryon.h)
VERSION := $(shell sed -n 's/^\#define TRYON_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' include/tryon.h | paste -sd.)
LIB_A  := $(BUILD)/libtryon.a
LIB_SO := $(BUILD)/libtryon.so
CLI    := $(BUILD)/tryon
BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)
BENCH  := $(BUILD)/tryon-bench

.PHONY: bench all lib cli tests test test-cpu test-gpu test-cli cuda-check install uninstall clean \
        format format-check help ref weights
.DEFAULT_GOAL := all
# Keep test objects: they are intermediate files of the test binaries, and make
# would otherwise delete them after every link and rebuild them next time.
.SECONDARY:

all: lib cli tests $(BENCH)
lib: $(LIB_A) $(LIB_SO)
cli: $(CLI)
tests: $(TEST_BINS) $(GPU_TEST_BINS)

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

# --- tests -------------------------------------------------------------------
# PyTorch reference fixtures are generated at test time, never committed.
REF_DIR := $(BUILD)/ref
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

test: test-cpu test-cli test-gpu

# The net suites run the CLI (build/tryon) as well as the library.
test-cpu: $(TEST_BINS) $(REF_DIR)/.stamp $(POSENET_REF) $(CLI)
	@fail=0; for t in $(TEST_BINS); do \
	  TRYON_REF_DIR=$(REF_DIR) TRYON_TORCH=$(TORCH) CK_FORK=yes $$t || fail=1; done; \
	  test $$fail = 0 || { echo "FAILED: CPU test suites" >&2; exit 1; }

test-gpu: $(GPU_TEST_BINS)
	@fail=0; for t in $(GPU_TEST_BINS); do \
	  TRYON_REF_DIR=$(REF_DIR) CK_FORK=no timeout 600 $$t || fail=1; done; \
	  test $$fail = 0 || { echo "FAILED: GPU test suites" >&2; exit 1; }

test-cli: $(CLI)
	@TRYON=$(CLI) BUILD=$(BUILD) sh tests/cli_errors.sh
	@TRYON=$(CLI) BUILD=$(BUILD) PYTHON=$(PYTHON) sh tests/cli_pose.sh

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
BENCH_TEST_OBJ := $(addprefix $(BUILD)/bench/,harness.o runner.o child.o device.o report.o)
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
	clang-format -i $(wildcard include/*.h runtime/*.[ch] kernels/*.h kernels/cpu/*.[ch] nets/*.[ch] tools/*.[ch] tests/*.[ch] bench/*.[ch])
format-check:
	clang-format --dry-run --Werror $(wildcard include/*.h runtime/*.[ch] kernels/*.h kernels/cpu/*.[ch] nets/*.[ch] tools/*.[ch] tests/*.[ch] bench/*.[ch])

clean:
	rm -rf build

help:
	@echo "make              build $(BUILD)/libtryon.{a,so}, $(BUILD)/tryon and the tests"
	@echo "make test         CPU suites (fork mode), CLI error tests, GPU suite (SKIP without GPU)"
	@echo "make test SAN=address,undefined   the same under sanitizers"
	@echo "make CUDA=0 test  CPU-only build and tests"
	@echo "make cuda-check   compile every .cu for sm_80 and sm_90a, warnings as errors"
	@echo "make weights      fetch and convert weights/posenet.safetensors"
	@echo "make bench        tryon-bench: net and op rows, verified then timed (BENCH_ARGS=...)"
	@echo "make bench-peers  the nets in tryon, PyTorch and TF.js; ratios and build/bench-peers/latency.png"
	@echo "make install PREFIX=/usr/local"

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BENCH_OBJ:.o=.d) $(TEST_UTIL_OBJ:.o=.d) \
         $(BUILD)/tests/harness_gpu.d \
         $(TEST_BINS:=.d) $(GPU_TEST_BINS:=.d)
