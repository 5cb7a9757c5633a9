# oscar: plain make. MARIADB_CONFIG names the Connector/C config tool;
# SANITIZE=1 builds with AddressSanitizer and UBSan.
MARIADB_CONFIG ?= mariadb_config
CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
VERSION = 0.1.0

WARN = -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wvla -Wwrite-strings \
       -Wshadow -Wformat=2 -Wpointer-arith -Wcast-qual
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -Iinclude $(shell $(MARIADB_CONFIG) --cflags) \
             -DOSCAR_VERSION='"$(VERSION)"' -D_GNU_SOURCE
LIBS = $(shell $(MARIADB_CONFIG) --libs) -lpthread -lm
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

SRCS = $(wildcard src/*.c)
OBJS = $(SRCS:src/%.c=build/%.o)
# the unit tests link every module but main (they need no server)
UNIT_OBJS = $(filter-out build/main.o,$(OBJS))
UNIT_TESTS = $(patsubst test/unit/%.c,build/test/%,$(wildcard test/unit/*.c))

.PHONY: all test test-galera unit demo bench bench-scale bench-galera stress install clean deps fuzz

all: oscar

oscar: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

build/%.o: src/%.c $(wildcard include/*.h) build/state_sql.h
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -Ibuild -c -o $@ $<

# sql/oscar_state.sql is the one definition of the state table: built into
# the binary as a C string (comments dropped).
build/state_sql.h: sql/oscar_state.sql
	@mkdir -p build
	{ printf '#define OSCAR_STATE_SQL \\\n'; grep -v '^--' $< | sed 's/\\/\\\\/g; s/"/\\"/g; s/^/\t"/; s/$$/ " \\/'; printf '\t""\n'; } > $@

build/test/%: test/unit/%.c $(UNIT_OBJS) test/unit/tap.h
	@mkdir -p build/test
	$(CC) $(ALL_CFLAGS) -Itest/unit -o $@ $< $(UNIT_OBJS) $(LDFLAGS) $(LIBS)

unit: $(UNIT_TESTS)

# libFuzzer harnesses (test/fuzz/fuzz_*.c) with ASan and UBSan, each run for
# FUZZ_SECONDS on a corpus seeded with test/fuzz/seeds/NAME and, for the ALTER
# parser, every --alter the tests use. Not part of make test. A crash leaves
# its input in build/fuzz/crash-NAME-*; it becomes a unit test in test/unit.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS = -std=gnu11 $(WARN) -O1 -g -fno-omit-frame-pointer -Iinclude -Ibuild -Itest/fuzz \
	     $(shell $(MARIADB_CONFIG) --cflags) -DOSCAR_VERSION='"$(VERSION)"' -D_GNU_SOURCE
FUZZ_OBJS = $(patsubst src/%.c,build/fuzz/obj/%.o,$(filter-out src/main.c,$(SRCS)))
FUZZERS = $(patsubst test/fuzz/%.c,build/fuzz/%,$(wildcard test/fuzz/fuzz_*.c))

build/fuzz/obj/%.o: src/%.c $(wildcard include/*.h) build/state_sql.h
	@mkdir -p build/fuzz/obj
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

build/fuzz/fuzz_%: test/fuzz/fuzz_%.c test/fuzz/fuzz.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_OBJS) $(LIBS)

fuzz: $(FUZZERS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZERS)

# Installs what is missing (mariadb-server, libmariadb-dev), builds, starts a
# private server and runs every test with prove.
test:
	scripts/run-tests.sh

# A throwaway 3-node Galera cluster (scripts/galera-cluster.sh) and the
# cluster tests; OSCAR_GALERA_REPEAT=N runs them N times.
test-galera:
	scripts/run-galera-tests.sh

stress:
	OSCAR_STRESS=1 scripts/run-tests.sh test/t/20-live-writers.t test/t/21-metadata-locks.t

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

# not part of make test: tables of 1M, 4M and 10M rows (BENCH_SCALE_SIZES)
bench-scale:
	scripts/bench-scale.sh

# oscar and pt-online-schema-change on a 3-node cluster, writers on all nodes.
bench-galera:
	scripts/bench-galera.sh

install: oscar
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/oscar
	install -m 0755 oscar $(DESTDIR)$(PREFIX)/bin/oscar
	install -m 0644 man/oscar.1 $(DESTDIR)$(PREFIX)/share/man/man1/oscar.1
	install -m 0644 sql/*.sql $(DESTDIR)$(PREFIX)/share/oscar/ 2>/dev/null || true

clean:
	rm -rf build oscar
