package lockpeer

import (
	"fmt"
	"strings"
	"testing"
)

// ReadCPU names each CPU the test's thread is pinned to, as the getcpu
// system call does (every CPU the process may run on, in turn), and the
// start-up check agrees.
func TestReadCPUNamesEachPinnedCPU(t *testing.T) {
	checked, failure := pinnedCheck(func(cpu int) string {
		if os, got := getcpu(), ReadCPU(); os != cpu || got != cpu {
			return fmt.Sprintf("pinned to %d: getcpu %d, ReadCPU %d", cpu, os, got)
		}
		return ""
	})
	if failure != "" {
		t.Fatal(failure)
	}
	if want := len(allowedCPUs()); checked != want || checked == 0 {
		t.Fatalf("checked %d CPUs of %d allowed", checked, want)
	}
	s := CPURead()
	if !s.Available || s.CPUsChecked != checked || !(s.ReadNs > 0) {
		t.Errorf("start-up check %+v, %d CPUs pinned here", s, checked)
	}
	if !strings.HasPrefix(LockMovesContext(), "lock_moves_per_acq: ") {
		t.Errorf("context %q", LockMovesContext())
	}
}
