// The library's version: the one place it is written. CMake reads it from here for the
// package version file, the pkg-config file and the Debian package.
#pragma once

#define MIO_VERSION_MAJOR 0
#define MIO_VERSION_MINOR 2
#define MIO_VERSION_PATCH 0

/// One integer that grows with every release: major * 10000 + minor * 100 + patch, so that
/// `#if MIO_VERSION >= 200` tests for 0.2.0 or later (as fmt's FMT_VERSION).
#define MIO_VERSION (MIO_VERSION_MAJOR * 10000 + MIO_VERSION_MINOR * 100 + MIO_VERSION_PATCH)

#define MIO_DETAIL_STRINGIZE_(x) #x
#define MIO_DETAIL_STRINGIZE(x) MIO_DETAIL_STRINGIZE_(x)
/// "major.minor.patch", for messages.
#define MIO_VERSION_STRING                                                                       \
    MIO_DETAIL_STRINGIZE(MIO_VERSION_MAJOR) "." MIO_DETAIL_STRINGIZE(MIO_VERSION_MINOR) "." \
        MIO_DETAIL_STRINGIZE(MIO_VERSION_PATCH)
