#!/bin/bash -eu
# .clusterfuzzlite/build.sh: what ClusterFuzzLite (and OSS-Fuzz) run inside
# the builder image, as $SRC/build.sh, with $CC, $CFLAGS, $CXX, $CXXFLAGS,
# $LIB_FUZZING_ENGINE, $OUT and $WORK set for the sanitizer being built.  The
# Dockerfile copies the repository to $SRC/goldpath; the build itself is
# fuzz/build.sh, which also runs on its own outside the image
# (docs/fuzzing.md, "OSS-Fuzz and ClusterFuzzLite").
exec "${SRC:?SRC is not set: run inside the builder image}/goldpath/fuzz/build.sh" "$@"
