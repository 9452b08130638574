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

# Fails the configure step, naming <function> and the argument, when one of the
# arguments named after it was not given (cmake_parse_arguments with prefix ARG).
macro(wayhome_require_arguments function)
  foreach(required ${ARGN})
    if(NOT ARG_${required})
      message(FATAL_ERROR "${function}(${ARG_NAME}): ${required} is required")
    endif()
  endforeach()
endmacro()

function(wayhome_add_module)
  cmake_parse_arguments(ARG "" "NAME;LAYER" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  wayhome_require_arguments(wayhome_add_module NAME LAYER)
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

# wayhome_embed(<target> <file> <header> <qualified-name>)
#
# Compiles a file kept beside a module (a JSON Schema, a page, the module's tables in
# SQL) into the target: the generated private header <header> declares
# `inline constexpr const char* <qualified-name>` holding the file's text. Editing the
# file re-runs the configure step, so the binary never serves a stale copy.
function(wayhome_embed target file header name)
  set(path ${CMAKE_CURRENT_SOURCE_DIR}/${file})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${path})
  file(READ ${path} WAYHOME_EMBED_TEXT)
  string(FIND "${WAYHOME_EMBED_TEXT}" ")wayhome_embed\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${path} holds ')wayhome_embed\"', which ends the embedded text")
  endif()
  if(NOT name MATCHES "^(.+)::([A-Za-z_][A-Za-z0-9_]*)$")
    message(FATAL_ERROR "wayhome_embed: '${name}' is not a qualified name (ns::kName)")
  endif()
  set(WAYHOME_EMBED_NAMESPACE ${CMAKE_MATCH_1})
  set(WAYHOME_EMBED_NAME ${CMAKE_MATCH_2})
  file(RELATIVE_PATH WAYHOME_EMBED_SOURCE ${PROJECT_SOURCE_DIR} ${path})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/embed.hpp.in
                 ${CMAKE_CURRENT_BINARY_DIR}/generated/${header} @ONLY)
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/generated)
endfunction()

# wayhome_add_service_module(NAME <name> NAMESPACE <ns> SOURCES <src>...)
#
# A service module (router, scheduler, delivery, reports): a library on the service
# runtime that owns its tables and its settings, both kept beside it and compiled in.
# sql/<name>.sql becomes `<ns>::k<Name>Tables` (StateStore::migrate reads it) in
# <name>_sql.hpp; settings.schema.json becomes `<ns>::k<Name>SettingsSchema` in
# settings_schema.hpp.
function(wayhome_add_service_module)
  cmake_parse_arguments(ARG "" "NAME;NAMESPACE" "SOURCES" ${ARGN})
  wayhome_require_arguments(wayhome_add_service_module NAME NAMESPACE)
  wayhome_add_module(NAME ${ARG_NAME} LAYER service SOURCES ${ARG_SOURCES}
                     PUBLIC_DEPS wayhome::runtime)
  string(SUBSTRING ${ARG_NAME} 0 1 first)
  string(TOUPPER ${first} first)
  string(SUBSTRING ${ARG_NAME} 1 -1 rest)
  set(target wayhome_${ARG_NAME})
  wayhome_embed(${target} sql/${ARG_NAME}.sql ${ARG_NAME}_sql.hpp
                ${ARG_NAMESPACE}::k${first}${rest}Tables)
  wayhome_embed(${target} settings.schema.json settings_schema.hpp
                ${ARG_NAMESPACE}::k${first}${rest}SettingsSchema)
endfunction()
