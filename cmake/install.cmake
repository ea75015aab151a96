# What `cmake --install` puts under the prefix, and the Debian package of the same (cpack -G DEB):
# include/cnngen/ (the DSL and the runtime's headers), lib/libcnngen_runtime.a,
# lib/libcnngen_halide_runtime.a, bin/cnngen-gen and lib/cmake/cnngen/ (the package).
include(CMakePackageConfigHelpers)

# dsl/cnngen and runtime/cnngen become one folder: a name in both would silently lose one.
file(GLOB dsl_headers RELATIVE "${PROJECT_SOURCE_DIR}/dsl/cnngen" "${PROJECT_SOURCE_DIR}/dsl/cnngen/*")
file(GLOB runtime_headers RELATIVE "${PROJECT_SOURCE_DIR}/runtime/cnngen" "${PROJECT_SOURCE_DIR}/runtime/cnngen/*")
foreach(header ${dsl_headers})
  if(header IN_LIST runtime_headers)
    message(FATAL_ERROR "dsl/cnngen/${header} and runtime/cnngen/${header} would install to one file: rename one")
  endif()
endforeach()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/dsl/cnngen" "${PROJECT_SOURCE_DIR}/runtime/cnngen" "${PROJECT_BINARY_DIR}/include/cnngen"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS cnngen_dsl cnngen_runtime cnngen_halide_runtime cnngen-gen EXPORT cnngenTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(FILES "${CNNGEN_HALIDE_RUNTIME}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")

set(config_dir "${CMAKE_INSTALL_LIBDIR}/cmake/cnngen")
install(EXPORT cnngenTargets NAMESPACE cnngen:: DESTINATION "${config_dir}")
configure_package_config_file(cmake/cnngenConfig.cmake.in "${PROJECT_BINARY_DIR}/cnngenConfig.cmake"
                              INSTALL_DESTINATION "${config_dir}")
# 0.x: a new minor version may change the DSL or the checkpoint format.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/cnngenConfigVersion.cmake" COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/cnngenConfig.cmake" "${PROJECT_BINARY_DIR}/cnngenConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/cnngenAddModel.cmake" DESTINATION "${config_dir}")
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" "${PROJECT_SOURCE_DIR}/CHANGELOG.md" "${PROJECT_SOURCE_DIR}/README.md"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}")

if(PROJECT_IS_TOP_LEVEL)
  set(CPACK_GENERATOR DEB)
  set(CPACK_PACKAGE_NAME cnngen)
  set(CPACK_PACKAGE_VENDOR "The cnngen authors")
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Compile-time C++ DSL and Halide code generator for convolutional networks")
  set(CPACK_PACKAGE_CONTACT "The cnngen authors <cnngen@localhost>")
  set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_SECTION devel)
  # What a consumer's build needs: the compiler and CMake, Halide 14 (cnngen-gen links it; its
  # CMake config needs LLVM's), and the libraries the static runtime links.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "cmake (>= 3.22), g++ (>= 4:12), libhalide14-0-dev, llvm-14-dev, libhdf5-dev, libjpeg62-turbo-dev, libpng-dev, zlib1g-dev, libgraphviz-dev, libstb-dev, pkg-config")
  if(CNNGEN_MPI)
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libopenmpi-dev, openmpi-bin")
  endif()
  include(CPack)
endif()
