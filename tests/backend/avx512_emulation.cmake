# Optional (-DTURBINE_AVX512_EMULATION=ON, needs libsimde-dev): backend_avx512_emu_tests runs the
# backend tests with the *_avx512.cpp kernels compiled against SIMDe's portable AVX-512 and the
# CPU reported as having AVX-512, so their logic is tested on machines without it. Timings from
# this build mean nothing.
find_path(SIMDE_INCLUDE_DIR simde/x86/avx512.h)
if(NOT SIMDE_INCLUDE_DIR)
  message(FATAL_ERROR "TURBINE_AVX512_EMULATION needs SIMDe (apt-get install libsimde-dev)")
endif()

file(GLOB emu_backend_srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/backend/*.cpp
     ${CMAKE_SOURCE_DIR}/src/backend/cpu/*.cpp)
set(emu_srcs)
foreach(src ${emu_backend_srcs})
  if(src MATCHES "_avx512\\.cpp$")
    # Source properties are per file, so the AVX-512 files get a wrapper with its own flags.
    get_filename_component(stem ${src} NAME_WE)
    set(wrapper ${CMAKE_BINARY_DIR}/avx512_emu/${stem}_emu.cpp)
    file(WRITE ${wrapper} "#include \"${src}\"\n")
    set_source_files_properties(${wrapper} PROPERTIES COMPILE_OPTIONS
      "-mavx2;-mfma;-mf16c;-O2;-include;${CMAKE_SOURCE_DIR}/tests/backend/emu/avx512_simde.h")
    list(APPEND emu_srcs ${wrapper})
  else()
    list(APPEND emu_srcs ${src})
  endif()
endforeach()
add_library(tb_backend_avx512_emu STATIC ${emu_srcs})
target_include_directories(tb_backend_avx512_emu PUBLIC ${CMAKE_SOURCE_DIR}/src ${SIMDE_INCLUDE_DIR})
target_compile_definitions(tb_backend_avx512_emu PRIVATE TB_AVX512_EMULATED=1)
target_link_libraries(tb_backend_avx512_emu PUBLIC tb_base)

file(GLOB emu_test_srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/backend/*_test.cpp)
add_executable(backend_avx512_emu_tests ${emu_test_srcs})
target_link_libraries(backend_avx512_emu_tests PRIVATE tb_backend_avx512_emu tb_model
                      GTest::gtest_main)
gtest_discover_tests(backend_avx512_emu_tests TEST_PREFIX "avx512_emu." DISCOVERY_TIMEOUT 60
                     PROPERTIES TIMEOUT 600)
