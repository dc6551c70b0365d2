// galnet/data/detail/stb.hpp — private copies of stb_image (JPEG, PNG) and stb_image_write.
//
// galnet is header-only, so the stb implementations are compiled into every translation unit
// that includes this header, as `static` functions inside namespace galnet::data::detail::stb:
// no symbol leaves the translation unit, so any number of TUs link together (tests/link), and a
// program may use its own stb elsewhere.
//
// Coexistence with a user's own stb_image.h in the same translation unit, in either order:
//   - every macro stb defines or tests is saved (push_macro), undefined, and restored (pop_macro)
//     afterwards, so the user's configuration neither leaks into galnet's copy nor is changed;
//   - stb_image's API is declared extern "C" even when static; galnet's copies are renamed
//     galnet_stbi_* so they never collide with a user's global extern "C" stbi_* functions.
// The standard headers stb includes are included first, at global scope, so that stb's own
// #includes inside the namespace are no-ops.
//
// Configuration of galnet's copy: STBI_ONLY_JPEG + STBI_ONLY_PNG, STBI_NO_STDIO and
// STBI_WRITE_NO_STDIO (galnet reads and writes the files itself), STBI_NO_LINEAR, asserts via
// <cassert>, zero-initialising allocation. stb_image 2.27 (Debian 12) has memory-safety bugs on
// malformed JPEGs that image.hpp screens for before stb sees the bytes (detail/stb_screen.hpp).
// Needs the stb headers: Debian's libstb-dev (<stb/stb_image.h>) or <stb_image.h> on the include
// path.
#pragma once
#include <cassert>
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386) || defined(_M_IX86)
#include <emmintrin.h>
#endif
#if defined(_MSC_VER)
#include <intrin.h>
#endif

#if __has_include(<stb/stb_image.h>) && __has_include(<stb/stb_image_write.h>)
#define GALNET_STB_IMAGE_H <stb/stb_image.h>
#define GALNET_STB_IMAGE_WRITE_H <stb/stb_image_write.h>
#elif __has_include(<stb_image.h>) && __has_include(<stb_image_write.h>)
#define GALNET_STB_IMAGE_H <stb_image.h>
#define GALNET_STB_IMAGE_WRITE_H <stb_image_write.h>
#else
#error "galnet/data/image.hpp needs stb_image.h and stb_image_write.h (Debian: apt install libstb-dev)"
#endif

// Every macro name stb defines or reads, and the renamed API names.
#define GALNET_STB_MACROS(X) \
  X(dct_bfly32o) X(dct_const) X(dct_interleave16) X(dct_interleave8) X(dct_long_mac) \
  X(dct_long_mul) X(dct_pass) X(dct_rot) X(dct_trn16) X(dct_trn32) X(dct_trn64) X(dct_trn8_16) \
  X(dct_trn8_32) X(dct_trn8_8) X(dct_wadd) X(dct_widen) X(dct_wsub) X(FAST_BITS) \
  X(INCLUDE_STB_IMAGE_WRITE_H) X(STB_IMAGE_IMPLEMENTATION) X(STB_IMAGE_STATIC) \
  X(STB_IMAGE_WRITE_IMPLEMENTATION) X(STB_IMAGE_WRITE_STATIC) X(STBI__BYTECAST) X(STBI__CASE) \
  X(STBI__COMBO) X(stbi__de_iphone_flag) X(stbi__div16) X(stbi__div4) X(stbi__DNL) X(stbi__EOI) \
  X(stbi__err) X(stbi__errpf) X(stbi__errpuc) X(stbi__f2f) X(stbi__float2fixed) \
  X(stbi__float2int) X(stbi__fsh) X(STBI__HDR_BUFLEN) X(STBI__IDCT_1D) X(STBI__MARKER_none) \
  X(STBI__PNG_TYPE) X(STBI__RESTART) X(stbi__SOF) X(stbi__SOF_progressive) X(stbi__SOI) \
  X(stbi__SOS) X(stbi__unpremultiply_on_load) X(stbi__vertically_flip_on_load) \
  X(STBI__X64_TARGET) X(STBI__X86_TARGET) X(STBI__ZFAST_BITS) X(STBI__ZFAST_MASK) X(STBI__ZNSYMS) \
  X(STBI_ASSERT) X(STBI_EXTERN) X(STBI_FAILURE_USERMSG) X(STBI_FREE) X(STBI_HAS_LROTL) \
  X(STBI_INCLUDE_STB_IMAGE_H) X(stbi_inline) X(stbi_lrot) X(STBI_MALLOC) X(STBI_MAX_DIMENSIONS) \
  X(STBI_MINGW_ENABLE_SSE2) X(STBI_NEON) X(STBI_NO_BMP) X(STBI_NO_FAILURE_STRINGS) X(STBI_NO_GIF) \
  X(STBI_NO_HDR) X(STBI_NO_JPEG) X(STBI_NO_LINEAR) X(STBI_NO_PIC) X(STBI_NO_PNG) X(STBI_NO_PNM) \
  X(STBI_NO_PSD) X(STBI_NO_SIMD) X(STBI_NO_STDIO) X(STBI_NO_TGA) X(STBI_NO_THREAD_LOCALS) \
  X(STBI_NO_ZLIB) X(STBI_NOTUSED) X(STBI_ONLY_BMP) X(STBI_ONLY_GIF) X(STBI_ONLY_HDR) \
  X(STBI_ONLY_JPEG) X(STBI_ONLY_PIC) X(STBI_ONLY_PNG) X(STBI_ONLY_PNM) X(STBI_ONLY_PSD) \
  X(STBI_ONLY_TGA) X(STBI_ONLY_ZLIB) X(STBI_REALLOC) X(STBI_REALLOC_SIZED) X(STBI_SIMD_ALIGN) \
  X(STBI_SSE2) X(STBI_SUPPORT_ZLIB) X(STBI_THREAD_LOCAL) X(STBI_VERSION) X(STBI_WINDOWS_UTF8) \
  X(STBI_WRITE_NO_STDIO) X(STBIDEF) X(stbiw__max) X(stbiw__sbcount) X(stbiw__sbfree) \
  X(stbiw__sbgrow) X(stbiw__sbm) X(stbiw__sbmaybegrow) X(stbiw__sbn) X(stbiw__sbneedgrow) \
  X(stbiw__sbpush) X(stbiw__sbraw) X(stbiw__wp32) X(stbiw__wpng4) X(stbiw__wptag) X(stbiw__ZHASH) \
  X(stbiw__zlib_add) X(stbiw__zlib_flush) X(stbiw__zlib_huff) X(stbiw__zlib_huff1) \
  X(stbiw__zlib_huff2) X(stbiw__zlib_huff3) X(stbiw__zlib_huff4) X(stbiw__zlib_huffa) \
  X(stbiw__zlib_huffb) X(STBIW_ASSERT) X(STBIW_CRC32) X(STBIW_EXTERN) X(STBIW_FREE) \
  X(STBIW_MALLOC) X(STBIW_MEMMOVE) X(STBIW_REALLOC) X(STBIW_REALLOC_SIZED) X(STBIW_UCHAR) \
  X(STBIW_WINDOWS_UTF8) X(STBIW_ZLIB_COMPRESS) X(STBIWDEF) X(stbi_convert_iphone_png_to_rgb) \
  X(stbi_convert_iphone_png_to_rgb_thread) X(stbi_convert_wchar_to_utf8) X(stbi_failure_reason) \
  X(stbi_hdr_to_ldr_gamma) X(stbi_hdr_to_ldr_scale) X(stbi_image_free) X(stbi_info) \
  X(stbi_info_from_callbacks) X(stbi_info_from_file) X(stbi_info_from_memory) X(stbi_is_16_bit) \
  X(stbi_is_16_bit_from_callbacks) X(stbi_is_16_bit_from_file) X(stbi_is_16_bit_from_memory) \
  X(stbi_is_hdr) X(stbi_is_hdr_from_callbacks) X(stbi_is_hdr_from_file) \
  X(stbi_is_hdr_from_memory) X(stbi_ldr_to_hdr_gamma) X(stbi_ldr_to_hdr_scale) X(stbi_load) \
  X(stbi_load_16) X(stbi_load_16_from_callbacks) X(stbi_load_16_from_memory) \
  X(stbi_load_from_callbacks) X(stbi_load_from_file) X(stbi_load_from_file_16) \
  X(stbi_load_from_memory) X(stbi_load_gif_from_memory) X(stbi_loadf) \
  X(stbi_loadf_from_callbacks) X(stbi_loadf_from_file) X(stbi_loadf_from_memory) \
  X(stbi_set_flip_vertically_on_load) X(stbi_set_flip_vertically_on_load_thread) \
  X(stbi_set_unpremultiply_on_load) X(stbi_set_unpremultiply_on_load_thread) \
  X(stbi_zlib_decode_buffer) X(stbi_zlib_decode_malloc) X(stbi_zlib_decode_malloc_guesssize) \
  X(stbi_zlib_decode_malloc_guesssize_headerflag) X(stbi_zlib_decode_noheader_buffer) \
  X(stbi_zlib_decode_noheader_malloc)

#define GALNET_STB_PRAGMA(x) _Pragma(#x)
#define GALNET_STB_PUSH(name) GALNET_STB_PRAGMA(push_macro(#name))
#define GALNET_STB_POP(name) GALNET_STB_PRAGMA(pop_macro(#name))
GALNET_STB_MACROS(GALNET_STB_PUSH)
#include "galnet/data/detail/stb_undef.hpp"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_ASSERT(x) assert(x)
// Zeroed allocations: stb_image 2.27 reads Huffman tables of a JPEG that never defined them from
// uninitialised memory (fixed upstream in 2.28 by a memset); calloc makes that path read zeros.
#define STBI_MALLOC(sz) calloc(1, sz)
#define STBI_REALLOC(p, newsz) realloc(p, newsz)
#define STBI_FREE(p) free(p)
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#define STBIW_ASSERT(x) assert(x)
#define stbi_convert_iphone_png_to_rgb galnet_stbi_convert_iphone_png_to_rgb
#define stbi_convert_iphone_png_to_rgb_thread galnet_stbi_convert_iphone_png_to_rgb_thread
#define stbi_convert_wchar_to_utf8 galnet_stbi_convert_wchar_to_utf8
#define stbi_failure_reason galnet_stbi_failure_reason
#define stbi_hdr_to_ldr_gamma galnet_stbi_hdr_to_ldr_gamma
#define stbi_hdr_to_ldr_scale galnet_stbi_hdr_to_ldr_scale
#define stbi_image_free galnet_stbi_image_free
#define stbi_info galnet_stbi_info
#define stbi_info_from_callbacks galnet_stbi_info_from_callbacks
#define stbi_info_from_file galnet_stbi_info_from_file
#define stbi_info_from_memory galnet_stbi_info_from_memory
#define stbi_is_16_bit galnet_stbi_is_16_bit
#define stbi_is_16_bit_from_callbacks galnet_stbi_is_16_bit_from_callbacks
#define stbi_is_16_bit_from_file galnet_stbi_is_16_bit_from_file
#define stbi_is_16_bit_from_memory galnet_stbi_is_16_bit_from_memory
#define stbi_is_hdr galnet_stbi_is_hdr
#define stbi_is_hdr_from_callbacks galnet_stbi_is_hdr_from_callbacks
#define stbi_is_hdr_from_file galnet_stbi_is_hdr_from_file
#define stbi_is_hdr_from_memory galnet_stbi_is_hdr_from_memory
#define stbi_ldr_to_hdr_gamma galnet_stbi_ldr_to_hdr_gamma
#define stbi_ldr_to_hdr_scale galnet_stbi_ldr_to_hdr_scale
#define stbi_load galnet_stbi_load
#define stbi_load_16 galnet_stbi_load_16
#define stbi_load_16_from_callbacks galnet_stbi_load_16_from_callbacks
#define stbi_load_16_from_memory galnet_stbi_load_16_from_memory
#define stbi_load_from_callbacks galnet_stbi_load_from_callbacks
#define stbi_load_from_file galnet_stbi_load_from_file
#define stbi_load_from_file_16 galnet_stbi_load_from_file_16
#define stbi_load_from_memory galnet_stbi_load_from_memory
#define stbi_load_gif_from_memory galnet_stbi_load_gif_from_memory
#define stbi_loadf galnet_stbi_loadf
#define stbi_loadf_from_callbacks galnet_stbi_loadf_from_callbacks
#define stbi_loadf_from_file galnet_stbi_loadf_from_file
#define stbi_loadf_from_memory galnet_stbi_loadf_from_memory
#define stbi_set_flip_vertically_on_load galnet_stbi_set_flip_vertically_on_load
#define stbi_set_flip_vertically_on_load_thread galnet_stbi_set_flip_vertically_on_load_thread
#define stbi_set_unpremultiply_on_load galnet_stbi_set_unpremultiply_on_load
#define stbi_set_unpremultiply_on_load_thread galnet_stbi_set_unpremultiply_on_load_thread
#define stbi_zlib_decode_buffer galnet_stbi_zlib_decode_buffer
#define stbi_zlib_decode_malloc galnet_stbi_zlib_decode_malloc
#define stbi_zlib_decode_malloc_guesssize galnet_stbi_zlib_decode_malloc_guesssize
#define stbi_zlib_decode_malloc_guesssize_headerflag galnet_stbi_zlib_decode_malloc_guesssize_headerflag
#define stbi_zlib_decode_noheader_buffer galnet_stbi_zlib_decode_noheader_buffer
#define stbi_zlib_decode_noheader_malloc galnet_stbi_zlib_decode_noheader_malloc

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wuseless-cast"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wzero-as-null-pointer-constant"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wduplicated-branches"
#pragma GCC diagnostic ignored "-Wcomma"
#elif defined(_MSC_VER)
#pragma warning(push, 0)
#endif

// stb_image 2.27's JPEG bit reader shifts by 32 or more on corrupt entropy-coded data (undefined
// behaviour, harmless on the targets galnet supports; fixed upstream in 2.28). Clang's
// -fsanitize=shift is turned off for stb's functions so that sanitizer and fuzzing builds report
// galnet's problems, not that one.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("shift"))), apply_to = function)
#endif
namespace galnet::data::detail::stb {
#include GALNET_STB_IMAGE_H
#include GALNET_STB_IMAGE_WRITE_H
}  // namespace galnet::data::detail::stb
#if defined(__clang__)
#pragma clang attribute pop
#endif

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#elif defined(_MSC_VER)
#pragma warning(pop)
#endif

#include "galnet/data/detail/stb_undef.hpp"
GALNET_STB_MACROS(GALNET_STB_POP)
#undef GALNET_STB_MACROS
#undef GALNET_STB_PUSH
#undef GALNET_STB_POP
#undef GALNET_STB_PRAGMA
#undef GALNET_STB_IMAGE_H
#undef GALNET_STB_IMAGE_WRITE_H
