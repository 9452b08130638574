# wayhome_add_module(NAME <folder> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#
# Gives every top-level folder the same shape: a static library `wayhome_<folder>`,
# public headers under <folder>/include/wayhome/<folder>/, private code in src/,
# C++20, and the project's warning set (errors in our own code).
function(wayhome_apply_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                           -Woverloaded-virtual)
  if(WAYHOME_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(WAYHOME_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()

function(wayhome_add_module)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target wayhome_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(wayhome::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                       PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  wayhome_apply_warnings(${target})
endfunction()
