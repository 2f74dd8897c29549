# Guanxi build. `make` builds bin/guanxi (optimised); `make run` sets up and serves;
# `make test` builds with ASan+UBSan and runs every suite; `make bench` measures.
# Objects go under build/<flavour>/ so release, asan and fuzz builds never mix.

CC      ?= cc
CXX     ?= c++
FLAVOUR ?= release
PKGS    := libmicrohttpd jansson sqlite3 libsodium libutf8proc opencc xlsxwriter libzip expat \
           uchardet icu-i18n
BUILD   := build/$(FLAVOUR)
GEN     := build/gen

WARN     := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes -Wvla
CPPFLAGS := -Isrc -I$(GEN) -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
            $(shell pkg-config --cflags $(PKGS))
CFLAGS_release := -O2 -g
CFLAGS_asan    := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS_fuzz    := -O1 -g -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer
CFLAGS   := -std=c11 $(WARN) $(CFLAGS_$(FLAVOUR))
CXXFLAGS := -std=c++17 -Wall -Wextra -Werror $(CFLAGS_$(FLAVOUR))
LDFLAGS  := $(CFLAGS_$(FLAVOUR))
LDLIBS   := $(shell pkg-config --libs $(PKGS)) -lcsv -lphonenumber -lstdc++ -lpthread -lm
# jemalloc in the optimised build: glibc's malloc was a fifth of a busy server's CPU (jansson
# and SQLite allocate per value) and jemalloc gave 10-15 % more 360 views a second. The
# sanitizer builds keep the sanitizers' own allocator.
LDLIBS_release := -ljemalloc
LDLIBS   += $(LDLIBS_$(FLAVOUR))

LIB_C   := $(wildcard src/base/*.c src/store/*.c src/crm/*.c src/http/*.c src/cli/*.c)
LIB_CXX := $(wildcard src/base/*.cc)
LIB_OBJ := $(LIB_C:%.c=$(BUILD)/%.o) $(LIB_CXX:%.cc=$(BUILD)/%.o) \
           $(BUILD)/gen/pinyin_table.o $(BUILD)/gen/migrations.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/tests/%)
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))

ifeq ($(FLAVOUR),release)
GUANXI := bin/guanxi
else
GUANXI := $(BUILD)/guanxi
endif

.PHONY: all run test unit bench fuzz lint format clean setup web
all: $(GUANXI) web

# The browser app: web/ copied to build/web with content-hashed names (scripts/build-web, node
# only, no npm packages). The server serves web/ itself by default; `make run` serves the build.
WEB_SRC := $(shell find web -type f ! -name '.*' 2>/dev/null)
web: build/web/index.html
build/web/index.html: scripts/build-web $(WEB_SRC)
	@node scripts/build-web build/web

setup:
	@scripts/setup

run: setup all
	@mkdir -p data
	$(GUANXI) serve --listen $${GUANXI_LISTEN:-127.0.0.1:8080} --db $${GUANXI_DB:-./data/guanxi.db} \
		--web-dir $${GUANXI_WEB_DIR:-build/web}

# The test build: ASan+UBSan, every unit test, the black-box API suite, short fuzz runs.
test: setup
	@$(MAKE) --no-print-directory FLAVOUR=asan build/asan/guanxi unit-bins web
	@$(MAKE) --no-print-directory CC=clang CXX=clang++ FLAVOUR=fuzz fuzz-bins
	@scripts/run-tests build/asan

unit-bins: $(UNIT_BIN)
fuzz-bins: $(FUZZ_BIN)

bench: setup
	@$(MAKE) --no-print-directory FLAVOUR=release all bench-bins
	@bench/run

bench-bins: $(BUILD)/bench/bench_lookup $(BUILD)/bench/bench_network $(BUILD)/bench/bench_duplicates

fuzz: setup
	@$(MAKE) --no-print-directory CC=clang CXX=clang++ FLAVOUR=fuzz fuzz-bins
	@scripts/run-fuzz $${FUZZ_SECONDS:-60}

lint:
	@scripts/lint

format:
	clang-format -i $(wildcard src/*/*.c src/*/*.h src/*.c src/base/*.cc tests/*/*.c)

clean:
	rm -rf build bin

$(GUANXI): $(BUILD)/src/main.o $(BUILD)/libguanxi.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libguanxi.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Pinyin readings come from Unihan (Debian's unicode-data) at build time; nothing is vendored.
$(GEN)/pinyin_table.c: scripts/gen-pinyin
	@mkdir -p $(dir $@)
	scripts/gen-pinyin /usr/share/unicode/Unihan_Readings.txt.bz2 > $@.tmp && mv $@.tmp $@

# Migrations are compiled in, so a binary always carries the schema it expects.
# The set of files counts, not only their times: a migration added with an older mtime than the
# generated file (a checkout, a copy) must still rebuild it.
MIGRATION_SET := $(GEN)/migrations.set
$(shell mkdir -p $(GEN) && echo '$(MIGRATIONS)' | cmp -s - $(MIGRATION_SET) || echo '$(MIGRATIONS)' > $(MIGRATION_SET))
$(GEN)/migrations.c: scripts/gen-migrations $(MIGRATIONS) $(MIGRATION_SET)
	@mkdir -p $(dir $@)
	scripts/gen-migrations $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libguanxi.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

build/fuzz/tests/%: tests/fuzz/%.c build/fuzz/libguanxi.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libguanxi.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

-include $(shell find build -name '*.d' 2>/dev/null)
