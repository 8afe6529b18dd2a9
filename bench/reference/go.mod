// Reference programs the benchmarks measure Tether against (see build.sh). Standard library only.
module tether.dev/bench/reference

go 1.22
