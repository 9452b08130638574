# wayhome_add_module(NAME <name> LAYER <layer> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#
# Gives every module the same shape: a static library `wayhome_<name>` (alias
# `wayhome::<name>`), public headers under include/wayhome/<name>/, private code in
# src/, C++20, and the project's warning set (errors in our own code).
#
# Layers keep the dependency arrow pointing down (docs/ARCHITECTURE.md). A module may
# link only modules of the layers its own layer lists below; peers of one layer
# (two connectors, router and scheduler) never link each other. Breaking this stops
# the configure step with a message naming both modules.
set(WAYHOME_LAYER_DEPS_schemas "")
set(WAYHOME_LAYER_DEPS_core "schemas")
set(WAYHOME_LAYER_DEPS_store "core;schemas")
set(WAYHOME_LAYER_DEPS_bus "store;core;schemas")
set(WAYHOME_LAYER_DEPS_runtime "bus;store;core;schemas")
set(WAYHOME_LAYER_DEPS_connectors "runtime;bus;store;core;schemas")
set(WAYHOME_LAYER_DEPS_connector "connectors;runtime;bus;store;core;schemas")
set(WAYHOME_LAYER_DEPS_service "runtime;bus;store;core;schemas")
set(WAYHOME_LAYER_DEPS_simulators "connector;connectors;runtime;bus;store;core;schemas")
set(WAYHOME_LAYER_DEPS_app "simulators;service;connector;connectors;runtime;bus;store;core;schemas")

function(wayhome_apply_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                           -Woverloaded-virtual)
  if(WAYHOME_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(wayhome_check_layer name layer deps)
  if(NOT DEFINED WAYHOME_LAYER_DEPS_${layer})
    message(FATAL_ERROR "module ${name}: unknown layer '${layer}'")
  endif()
  foreach(dep IN LISTS deps)
    if(NOT dep MATCHES "^wayhome::(.*)$")
      continue()
    endif()
    set(depName ${CMAKE_MATCH_1})
    get_property(depLayer GLOBAL PROPERTY WAYHOME_MODULE_LAYER_${depName})
    if(NOT depLayer)
      message(FATAL_ERROR "module ${name} links ${dep}, which is not declared (yet): "
                          "modules are added bottom-up")
    endif()
    if(NOT depLayer IN_LIST WAYHOME_LAYER_DEPS_${layer})
      message(FATAL_ERROR "module ${name} (layer ${layer}) must not link ${depName} "
                          "(layer ${depLayer}): dependencies point down, peers never link "
                          "each other (docs/ARCHITECTURE.md)")
    endif()
  endforeach()
endfunction()

function(wayhome_add_module)
  cmake_parse_arguments(ARG "" "NAME;LAYER" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT ARG_LAYER)
    message(FATAL_ERROR "wayhome_add_module(${ARG_NAME}): LAYER is required")
  endif()
  wayhome_check_layer(${ARG_NAME} ${ARG_LAYER} "${ARG_PUBLIC_DEPS};${ARG_PRIVATE_DEPS}")
  set_property(GLOBAL PROPERTY WAYHOME_MODULE_LAYER_${ARG_NAME} ${ARG_LAYER})
  set_property(GLOBAL APPEND PROPERTY WAYHOME_MODULES "${ARG_NAME}:${ARG_LAYER}:${CMAKE_CURRENT_SOURCE_DIR}")
  set(target wayhome_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(wayhome::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                       PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  wayhome_apply_warnings(${target})
endfunction()

# wayhome_embed_json(<target> FILE <file.json> HEADER <name.hpp> SYMBOL <kName> NAMESPACE <ns>)
#
# Compiles a JSON file kept beside a module (a settings schema, the host's config
# schema) into the generated header <name.hpp> of <target>, as
# `inline constexpr const char* ns::kName`, so the binary checks its configuration with
# nothing beside it. The configure step re-runs when the file changes.
function(wayhome_embed_json target)
  cmake_parse_arguments(ARG "" "FILE;HEADER;SYMBOL;NAMESPACE" "" ${ARGN})
  set(source ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_FILE})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
  file(READ ${source} WAYHOME_EMBED_TEXT)
  file(RELATIVE_PATH WAYHOME_EMBED_SOURCE ${PROJECT_SOURCE_DIR} ${source})
  set(WAYHOME_EMBED_SYMBOL ${ARG_SYMBOL})
  set(WAYHOME_EMBED_NAMESPACE ${ARG_NAMESPACE})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/embedded_json.hpp.in
                 ${CMAKE_CURRENT_BINARY_DIR}/generated/${ARG_HEADER} @ONLY)
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/generated)
endfunction()
