# The start-up loan connector and its simulator (included by connectors/CMakeLists.txt).
list(APPEND WAYHOME_CONNECTOR_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/loan_connector.cpp
  ${CMAKE_CURRENT_LIST_DIR}/loan_simulator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/loan_webhook.cpp)
