// Record streams for AXFR (walking a snapshot) and IXFR (condensed journal differences).
#include "core/xfr/record_stream.h"

#include <map>
#include <tuple>

#include "core/dns/constants.h"

namespace tidal::xfr {

namespace {

using snapshot::Node;
using snapshot::RRset;
using snapshot::ZoneSnapshot;

size_t rdata_length(const uint8_t* entry) {
    return (size_t(entry[0]) << 8) | entry[1];
}

class AxfrStream : public RecordStream {
  public:
    explicit AxfrStream(std::shared_ptr<const ZoneSnapshot> zone, bool soa_only)
        : zone_(std::move(zone)), soa_only_(soa_only) {
        const auto* soa = zone_->soa();
        soa_rdata_ = zone_->rdata(*soa);
        apex_ = reinterpret_cast<const uint8_t*>(zone_->apex().data());
        seek_body();
    }

    bool current(StreamRr& rr) const override {
        switch (phase_) {
            case Phase::FirstSoa:
            case Phase::LastSoa:
                rr = StreamRr{apex_, dns::rrtype::SOA, zone_->soa()->ttl, soa_rdata_ + 2,
                              rdata_length(soa_rdata_)};
                return true;
            case Phase::Body: {
                const Node& node = zone_->node(node_);
                const RRset& set = *(zone_->rrsets_begin(node) + rrset_);
                rr = StreamRr{reinterpret_cast<const uint8_t*>(zone_->name_of(node).data()),
                              set.type, set.ttl, entry_ + 2, rdata_length(entry_)};
                return true;
            }
            case Phase::Done:
                return false;
        }
        return false;
    }

    void advance() override {
        switch (phase_) {
            case Phase::FirstSoa:
                phase_ = soa_only_ ? Phase::Done : (body_empty_ ? Phase::LastSoa : Phase::Body);
                return;
            case Phase::Body:
                step();
                return;
            case Phase::LastSoa:
            case Phase::Done:
                phase_ = Phase::Done;
                return;
        }
    }

  private:
    enum class Phase { FirstSoa, Body, LastSoa, Done };

    // Positions the cursor on the first body RR (anything but the apex SOA).
    void seek_body() {
        node_ = 0;
        rrset_ = 0;
        record_ = 0;
        body_empty_ = !settle();
    }

    // From (node_, rrset_, record_) moves forward to a valid RR that is not the apex SOA.
    bool settle() {
        while (node_ < zone_->node_count()) {
            const Node& node = zone_->node(node_);
            if (rrset_ < node.rrset_count) {
                const RRset& set = *(zone_->rrsets_begin(node) + rrset_);
                if ((node_ == 0 && set.type == dns::rrtype::SOA) || record_ >= set.count) {
                    ++rrset_;
                    record_ = 0;
                    continue;
                }
                if (record_ == 0) {
                    entry_ = zone_->rdata(set);
                }
                return true;
            }
            ++node_;
            rrset_ = 0;
            record_ = 0;
        }
        return false;
    }

    void step() {
        entry_ += 2 + rdata_length(entry_);
        ++record_;
        if (!settle()) {
            phase_ = Phase::LastSoa;
        }
    }

    std::shared_ptr<const ZoneSnapshot> zone_;
    bool soa_only_;
    const uint8_t* soa_rdata_ = nullptr;
    const uint8_t* apex_ = nullptr;
    Phase phase_ = Phase::FirstSoa;
    bool body_empty_ = false;
    uint32_t node_ = 0;
    uint32_t rrset_ = 0;
    uint32_t record_ = 0;
    const uint8_t* entry_ = nullptr;
};

// An IXFR answer held as a flat list of records (a difference is proportional to the change).
class ListStream : public RecordStream {
  public:
    explicit ListStream(std::vector<Record> records) : records_(std::move(records)) {}

    bool current(StreamRr& rr) const override {
        if (index_ >= records_.size()) {
            return false;
        }
        const Record& r = records_[index_];
        rr = StreamRr{reinterpret_cast<const uint8_t*>(r.owner.data()), r.type, r.ttl,
                      reinterpret_cast<const uint8_t*>(r.rdata.data()), r.rdata.size()};
        return true;
    }
    void advance() override { ++index_; }

  private:
    std::vector<Record> records_;
    size_t index_ = 0;
};

// RR identity for condensing, TTL included: a TTL change is a removal and an addition.
auto key_of(const Record& r) {
    return std::tie(r.owner, r.type, r.rdata, r.ttl);
}
struct RecordLess {
    bool operator()(const Record& a, const Record& b) const { return key_of(a) < key_of(b); }
};

}  // namespace

std::unique_ptr<RecordStream> axfr_stream(std::shared_ptr<const ZoneSnapshot> zone) {
    return std::make_unique<AxfrStream>(std::move(zone), false);
}

std::unique_ptr<RecordStream> soa_stream(std::shared_ptr<const ZoneSnapshot> zone) {
    return std::make_unique<AxfrStream>(std::move(zone), true);
}

std::unique_ptr<RecordStream> ixfr_stream(const std::vector<store::JournalEntry>& entries) {
    // Net effect of all entries: an RR removed after being added within the range cancels out.
    std::map<Record, bool, RecordLess> removed, added;  // value unused: ordered sets
    for (const store::JournalEntry& entry : entries) {
        for (size_t i = 1; i < entry.removed.size(); ++i) {  // [0] is the old SOA
            const Record& r = entry.removed[i];
            if (added.erase(r) == 0) {
                removed.emplace(r, true);
            }
        }
        for (size_t i = 1; i < entry.added.size(); ++i) {  // [0] is the new SOA
            const Record& r = entry.added[i];
            if (removed.erase(r) == 0) {
                added.emplace(r, true);
            }
        }
    }
    const Record& old_soa = entries.front().removed.front();
    const Record& new_soa = entries.back().added.front();
    std::vector<Record> out;
    out.reserve(removed.size() + added.size() + 4);
    out.push_back(new_soa);
    out.push_back(old_soa);
    for (const auto& [r, unused] : removed) {
        out.push_back(r);
    }
    out.push_back(new_soa);
    for (const auto& [r, unused] : added) {
        out.push_back(r);
    }
    out.push_back(new_soa);
    return std::make_unique<ListStream>(std::move(out));
}

}  // namespace tidal::xfr
