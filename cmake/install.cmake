# Installs the headers and a galnetConfig.cmake so that an outside project can
#   find_package(galnet CONFIG REQUIRED)  and  target_link_libraries(app PRIVATE galnet::galnet)
include(CMakePackageConfigHelpers)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/galnet DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.cuh")
install(TARGETS galnet EXPORT galnetTargets)
install(EXPORT galnetTargets NAMESPACE galnet:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/galnet)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/galnetConfig.cmake.in
  ${PROJECT_BINARY_DIR}/galnetConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/galnet)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/galnetConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/galnetConfig.cmake ${PROJECT_BINARY_DIR}/galnetConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/galnet)
