// The standard-library reference programs (see build.sh); the engines have modules of their own.
module tether.dev/bench/reference

go 1.22
