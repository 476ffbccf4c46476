# Cross-compiles for 64-bit Windows with Debian's mingw-w64 (g++-mingw-w64-x86-64-posix: the
# POSIX-threads flavour, which has std::thread and std::mutex) and runs the results under Wine.
#   cmake --preset mingw        (or -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64.cmake)
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(MIO_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${MIO_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${MIO_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${MIO_MINGW_TRIPLE}-windres)

# Libraries and headers come from the mingw sysroot only, never from Linux's /usr.
set(CMAKE_FIND_ROOT_PATH /usr/${MIO_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# libgcc, libstdc++ and winpthread linked statically: Wine then needs no mingw DLL on its path.
# ws2_32 and ntdll are Windows' own DLLs (the project links their import libraries).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# ctest (and add_test with a target as COMMAND) runs every Windows program under Wine.
find_program(MIO_WINE NAMES wine wine64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${MIO_WINE})
