package accounts

import (
	"context"
	"net"
	"slices"
	"strings"
	"time"
)

// WatchInterfaces looks at the machine's network interfaces every interval and calls changed when
// the set of interfaces that are up, or their addresses, differ from the last look (a cable
// plugged in, Wi-Fi joined, a VPN up, a new DHCP lease). It returns when ctx ends. One look is a
// netlink dump on Linux: cheap enough to do every few seconds.
func WatchInterfaces(ctx context.Context, interval time.Duration, changed func()) {
	last, _ := interfaceFingerprint()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := interfaceFingerprint()
		if err != nil {
			continue // no answer now is no news; compare with the next good look
		}
		if now != last {
			changed()
		}
		last = now
	}
}

// interfaceFingerprint lists every address of every non-loopback interface that is up.
func interfaceFingerprint() (string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	var parts []string
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			return "", err
		}
		for _, a := range addrs {
			parts = append(parts, ifc.Name+" "+a.String())
		}
		if len(addrs) == 0 {
			parts = append(parts, ifc.Name)
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "\n"), nil
}
