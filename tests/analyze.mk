# tests/analyze.mk - static analysis (tests/analyze/run.sh): cppcheck, clang's static analyzer
# and gcc -fanalyzer over every top-level header with its implementation and over the
# examples' platform code; one case line per tool and unit, and first a planted defect each tool
# must find (tests/analyze/canary.c). A suite of its own in tests/run_all.sh (not a
# prerequisite of host-tests: under make -k a failed prerequisite would skip test_core).
#
#   make analyze                        everything, two jobs at a time (ANALYZE_JOBS=N)
#   make analyze ANALYZE_ONLY=regex     some jobs: ANALYZE_ONLY=virtio_blk, ANALYZE_ONLY='^gcc'

BUILD ?= build

.PHONY: analyze

analyze:
	@BUILD=$(BUILD) tests/analyze/run.sh
