# Installation: headers, library and a relocatable CMake package
# (find_package(Dendra) -> Dendra::dendra).
include(CMakePackageConfigHelpers)

install(DIRECTORY include/dendra DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS dendra EXPORT DendraTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS dendra-app dendra-host RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(DENDRA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Dendra)
install(EXPORT DendraTargets NAMESPACE Dendra:: DESTINATION ${DENDRA_CMAKE_DIR})
configure_package_config_file(cmake/DendraConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/DendraConfig.cmake INSTALL_DESTINATION ${DENDRA_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/DendraConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/DendraConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/DendraConfigVersion.cmake
        DESTINATION ${DENDRA_CMAKE_DIR})
