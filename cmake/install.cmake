# `cmake --install build --prefix DIR`: the libraries with exported CMake targets, so that
# another project's `find_package(vedkit)` and `target_link_libraries(app vedkit::vision)` work
# (examples/), their headers, the apps, the configs and the bundled models.
include(CMakePackageConfigHelpers)

set(vedkit_libraries vedkit_core vedkit_vision vedkit_text)
if(VEDKIT_WITH_OPENCV)
  list(APPEND vedkit_libraries vedkit_vision_io vedkit_datasets)
endif()
foreach(library ${vedkit_libraries})
  string(REPLACE "vedkit_" "" exported ${library})
  set_target_properties(${library} PROPERTIES EXPORT_NAME ${exported})
endforeach()
install(TARGETS ${vedkit_libraries} EXPORT vedkitTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT vedkitTargets NAMESPACE vedkit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vedkit)
configure_package_config_file(cmake/vedkitConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/vedkitConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vedkit)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vedkitConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vedkitConfig.cmake ${PROJECT_BINARY_DIR}/vedkitConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vedkit)

foreach(folder core vision text datasets)
  install(DIRECTORY ${folder} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/vedkit
          FILES_MATCHING PATTERN "*.h" PATTERN "samples" EXCLUDE)
endforeach()
install(DIRECTORY configs models DESTINATION ${CMAKE_INSTALL_DATADIR}/vedkit)
