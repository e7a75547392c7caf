// Cache warming for a batch of UDP queries before they are answered.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/snapshot/zone_set.h"

namespace tidal::query {

// Under load the name index, the nodes and the names are cold when a query arrives (the kernel's
// work between two packets evicts them), and one lookup is three dependent cache misses: slot,
// node, name. Done one query at a time they queue up; with a batch of queries in hand, one step
// per pass over the batch lets the misses of all the queries overlap. A hint only: what it
// finds is never trusted, the lookup itself runs unchanged afterwards.
class LookupPrefetch {
  public:
    // Step 1: the question name of query (any shape: a malformed one is just skipped), its zone
    // in zones, and a prefetch of the index slot its exact-match search starts at.
    void start(const snapshot::ZoneSet& zones, const uint8_t* query, size_t length);
    // Step 2 (the slot has arrived): prefetch the node the slot names.
    void node();
    // Step 3 (the node has arrived): prefetch the node's name and RRsets.
    void name() const;

  private:
    const snapshot::ZoneSnapshot* zone_ = nullptr;
    uint32_t hash_ = 0;
    uint32_t node_ = snapshot::kNoNode;
};

}  // namespace tidal::query
