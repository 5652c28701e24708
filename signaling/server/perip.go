package server

import (
	"net/netip"
	"time"

	"golang.org/x/time/rate"
)

// ipKey is what per-address limits count against: an IPv4 address, or the /64 of an IPv6
// address (one subscriber usually holds a whole /64). Unparsable input counts as itself.
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// regBurst is how many names one address may register at once.
const regBurst = 10

// allowRegistration spends one of key's registration tokens, reporting false when none is
// left (Limits.RegistrationsPerIPPerHour).
func (s *Server) allowRegistration(key string, now time.Time) bool {
	per := s.cfg.Limits.RegistrationsPerIPPerHour
	if per < 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	lim := s.regs[key]
	if lim == nil {
		if len(s.regs) >= 4096 {
			s.pruneRegsLocked(now)
		}
		lim = rate.NewLimiter(rate.Limit(per/3600), min(regBurst, max(1, int(per))))
		s.regs[key] = lim
	}
	return lim.AllowN(now, 1)
}

// pruneRegsLocked forgets addresses whose registration budget is full again (they are
// indistinguishable from new ones).
func (s *Server) pruneRegsLocked(now time.Time) {
	for k, lim := range s.regs {
		if lim.TokensAt(now) >= float64(lim.Burst()) {
			delete(s.regs, k)
		}
	}
}
