# The GERICA/LMP connector and its simulator; included by connectors/CMakeLists.txt.
# XML is parsed with pugixml (Debian libpugixml-dev), privately: no public header
# names it.
find_package(pugixml REQUIRED CONFIG)
list(APPEND WAYHOME_CONNECTOR_SOURCES
  gerica/message.cpp
  gerica/connector.cpp
  gerica/simulator.cpp)
list(APPEND WAYHOME_CONNECTOR_PRIVATE_DEPS pugixml::pugixml)
