# Installs the headers and a galnetConfig.cmake so that an outside project can
#   find_package(galnet CONFIG REQUIRED)  and  target_link_libraries(app PRIVATE galnet::galnet)
include(CMakePackageConfigHelpers)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/galnet DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.cuh")
install(TARGETS galnet EXPORT galnetTargets)
install(EXPORT galnetTargets NAMESPACE galnet:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/galnet)
set(_galnet_config_in ${PROJECT_SOURCE_DIR}/cmake/galnetConfig.cmake.in)
if(TARGET galnet_fits)
  # galnet::fits goes in its own export set, loaded by galnetFits.cmake only where the user's
  # machine has CFITSIO too (pkg-config, else fitsio.h + libcfitsio): without it, find_package
  # still works and galnet::fits is simply absent (`COMPONENTS fits` makes it required).
  install(TARGETS galnet_fits EXPORT galnetFitsTargets)
  install(EXPORT galnetFitsTargets NAMESPACE galnet:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/galnet)
  file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/galnetFits.cmake CONTENT [=[
# galnet::fits (galnet/data/fits.hpp), where CFITSIO is found on this machine.
set(galnet_fits_FOUND FALSE)
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(GALNET_CFITSIO QUIET IMPORTED_TARGET cfitsio)
endif()
set(_galnet_cfitsio)
if(TARGET PkgConfig::GALNET_CFITSIO)
  set(_galnet_cfitsio PkgConfig::GALNET_CFITSIO)
else()
  find_path(GALNET_CFITSIO_INCLUDE_DIR fitsio.h PATH_SUFFIXES cfitsio)
  find_library(GALNET_CFITSIO_LIBRARY cfitsio)
  if(GALNET_CFITSIO_INCLUDE_DIR AND GALNET_CFITSIO_LIBRARY)
    set(_galnet_cfitsio ${GALNET_CFITSIO_LIBRARY})
  endif()
endif()
if(TARGET galnet::fits)
  set(galnet_fits_FOUND TRUE)
elseif(_galnet_cfitsio)
  include("${CMAKE_CURRENT_LIST_DIR}/galnetFitsTargets.cmake")
  set_property(TARGET galnet::fits APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${_galnet_cfitsio})
  if(NOT TARGET PkgConfig::GALNET_CFITSIO)
    set_property(TARGET galnet::fits APPEND PROPERTY INTERFACE_INCLUDE_DIRECTORIES ${GALNET_CFITSIO_INCLUDE_DIR})
  endif()
  set(galnet_fits_FOUND TRUE)
elseif(NOT galnet_FIND_QUIETLY)
  message(STATUS "galnet: CFITSIO not found; galnet::fits (FITS reading) not available")
endif()
unset(_galnet_cfitsio)
]=] @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/galnetFits.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/galnet)
  # The config template, with galnetFits.cmake included before the component check.
  file(READ ${_galnet_config_in} _galnet_config)
  set(_galnet_fits_line "include(\"\${CMAKE_CURRENT_LIST_DIR}/galnetFits.cmake\")\n")
  if(_galnet_config MATCHES "check_required_components")
    string(REPLACE "check_required_components" "${_galnet_fits_line}check_required_components" _galnet_config
           "${_galnet_config}")
  else()
    string(APPEND _galnet_config "${_galnet_fits_line}")
  endif()
  set(_galnet_fits_in ${PROJECT_BINARY_DIR}/galnetConfig.cmake.in)
  set(_galnet_old "")
  if(EXISTS ${_galnet_fits_in})
    file(READ ${_galnet_fits_in} _galnet_old)
  endif()
  if(NOT _galnet_old STREQUAL _galnet_config)
    file(WRITE ${_galnet_fits_in} "${_galnet_config}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_galnet_config_in})
  set(_galnet_config_in ${_galnet_fits_in})
endif()
configure_package_config_file(${_galnet_config_in}
  ${PROJECT_BINARY_DIR}/galnetConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/galnet)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/galnetConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/galnetConfig.cmake ${PROJECT_BINARY_DIR}/galnetConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/galnetCuda.cmake ${PROJECT_SOURCE_DIR}/cmake/galnetMpi.cmake
              ${PROJECT_SOURCE_DIR}/cmake/galnetNccl.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/galnet)

# ---- line_ew: the published line-EW weights (Khederlarian et al. 2024, ashodkh/emission-lines,
# MIT; data/line_ew/README.md) go to <prefix>/share/galnet/line_ew with their licence. An
# installed galnet::galnet defines GALNET_BUILTIN_DATA_DIR=<prefix>/share/galnet (relocatable),
# where galnet::models::find_line_ew_weights() looks; in the build tree, galnet's own line_ew
# program and tests define it as the source tree's data/ (examples/ and tests/CMakeLists.txt).
install(FILES ${PROJECT_SOURCE_DIR}/data/line_ew/line_ew_with_luminosity.safetensors
              ${PROJECT_SOURCE_DIR}/data/line_ew/line_ew_without_luminosity.safetensors
              ${PROJECT_SOURCE_DIR}/data/line_ew/LICENSE
              ${PROJECT_SOURCE_DIR}/data/line_ew/README.md
              ${PROJECT_SOURCE_DIR}/data/line_ew/sample_fluxes.csv
        DESTINATION ${CMAKE_INSTALL_DATADIR}/galnet/line_ew)
target_compile_definitions(galnet INTERFACE
  "$<INSTALL_INTERFACE:GALNET_BUILTIN_DATA_DIR=\"$<INSTALL_PREFIX>/${CMAKE_INSTALL_DATADIR}/galnet\">")
