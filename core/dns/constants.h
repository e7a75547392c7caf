// DNS protocol numbers: RR types, classes, opcodes, rcodes, header flags (RFC 1035, 6895
// registries).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tidal::dns {

namespace rrtype {
constexpr uint16_t A = 1;
constexpr uint16_t NS = 2;
constexpr uint16_t MD = 3;
constexpr uint16_t MF = 4;
constexpr uint16_t CNAME = 5;
constexpr uint16_t SOA = 6;
constexpr uint16_t MB = 7;
constexpr uint16_t MG = 8;
constexpr uint16_t MR = 9;
constexpr uint16_t NULL_ = 10;
constexpr uint16_t WKS = 11;
constexpr uint16_t PTR = 12;
constexpr uint16_t HINFO = 13;
constexpr uint16_t MINFO = 14;
constexpr uint16_t MX = 15;
constexpr uint16_t TXT = 16;
constexpr uint16_t AAAA = 28;
constexpr uint16_t SRV = 33;
constexpr uint16_t NAPTR = 35;
constexpr uint16_t DNAME = 39;
constexpr uint16_t OPT = 41;
constexpr uint16_t DS = 43;
constexpr uint16_t RRSIG = 46;
constexpr uint16_t NSEC = 47;
constexpr uint16_t DNSKEY = 48;
constexpr uint16_t NSEC3 = 50;
constexpr uint16_t SVCB = 64;
constexpr uint16_t HTTPS = 65;
constexpr uint16_t TKEY = 249;
constexpr uint16_t TSIG = 250;
constexpr uint16_t IXFR = 251;
constexpr uint16_t AXFR = 252;
constexpr uint16_t MAILB = 253;
constexpr uint16_t MAILA = 254;
constexpr uint16_t ANY = 255;
}  // namespace rrtype

namespace rrclass {
constexpr uint16_t IN = 1;
constexpr uint16_t CH = 3;
constexpr uint16_t HS = 4;
constexpr uint16_t NONE = 254;
constexpr uint16_t ANY = 255;
}  // namespace rrclass

namespace opcode {
constexpr uint8_t QUERY = 0;
constexpr uint8_t IQUERY = 1;
constexpr uint8_t STATUS = 2;
constexpr uint8_t NOTIFY = 4;
constexpr uint8_t UPDATE = 5;
}  // namespace opcode

namespace rcode {
constexpr uint16_t NOERROR = 0;
constexpr uint16_t FORMERR = 1;
constexpr uint16_t SERVFAIL = 2;
constexpr uint16_t NXDOMAIN = 3;
constexpr uint16_t NOTIMP = 4;
constexpr uint16_t REFUSED = 5;
constexpr uint16_t YXDOMAIN = 6;
constexpr uint16_t YXRRSET = 7;
constexpr uint16_t NXRRSET = 8;
constexpr uint16_t NOTAUTH = 9;
constexpr uint16_t NOTZONE = 10;
constexpr uint16_t BADVERS = 16;  // RFC 6891 §6.1.3: extended rcode, needs OPT
}  // namespace rcode

// Header flag bits in the 16-bit flags word (RFC 1035 §4.1.1, RFC 4035 §3.2.2 for AD/CD).
// EDNS option codes (RFC 6891 §6.1.2, IANA "DNS EDNS0 Option Codes").
namespace edns_option {
constexpr uint16_t EXPIRE = 9;  // RFC 7314
}  // namespace edns_option

namespace flag {
constexpr uint16_t QR = 0x8000;
constexpr uint16_t AA = 0x0400;
constexpr uint16_t TC = 0x0200;
constexpr uint16_t RD = 0x0100;
constexpr uint16_t RA = 0x0080;
constexpr uint16_t AD = 0x0020;
constexpr uint16_t CD = 0x0010;
}  // namespace flag

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxNameLength = 255;  // RFC 1035 §2.3.4, wire octets
constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxUdpPayloadNoEdns = 512;  // RFC 1035 §4.2.1
constexpr size_t kMaxMessageSize = 65535;     // TCP framing limit, RFC 1035 §4.2.2

}  // namespace tidal::dns
