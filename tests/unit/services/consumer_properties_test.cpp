// The client properties every service's consumer gets: what the operator configured in
// bus.client always wins; otherwise a short fetch wait on the embedded bus and a
// bounded prefetch on any bus.

#include <gtest/gtest.h>

#include <wayhome/bus/settings.hpp>
#include <wayhome/runtime/consume_loop.hpp>

namespace {

using wayhome::bus::BusSettings;
using wayhome::bus::ClientProperties;
using wayhome::services::consumerProperties;

TEST(ConsumerProperties, TheEmbeddedBusFetchesWithinTenMillisecondsAndPrefetchesAtMostTwoMb) {
  BusSettings bus;
  bus.embedded = true;
  const auto props = consumerProperties(bus, {{"client.id", "x"}});
  EXPECT_EQ(props.at("fetch.wait.max.ms"), "10");
  EXPECT_EQ(props.at("queued.max.messages.kbytes"), "2048");
  EXPECT_EQ(props.at("client.id"), "x");
}

TEST(ConsumerProperties, AKafkaClusterKeepsItsFetchWaitButTheBoundedPrefetch) {
  BusSettings bus;
  bus.embedded = false;
  const auto props = consumerProperties(bus, {});
  EXPECT_FALSE(props.contains("fetch.wait.max.ms"));
  EXPECT_EQ(props.at("queued.max.messages.kbytes"), "2048");
}

TEST(ConsumerProperties, WhatBusClientSetsWins) {
  BusSettings bus;
  bus.embedded = true;
  const ClientProperties configured{{"fetch.wait.max.ms", "100"},
                                    {"queued.max.messages.kbytes", "65536"}};
  const auto props = consumerProperties(bus, configured);
  EXPECT_EQ(props.at("fetch.wait.max.ms"), "100");
  EXPECT_EQ(props.at("queued.max.messages.kbytes"), "65536");
}

}  // namespace
