# The Plania connector and its simulator; included by connectors/CMakeLists.txt.
list(APPEND WAYHOME_CONNECTOR_SOURCES
  plania/records.cpp
  plania/seen_store.cpp
  plania/connector.cpp
  plania/simulator.cpp)
