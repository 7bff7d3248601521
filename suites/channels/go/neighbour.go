package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"unsafe"
)

// The noisy neighbour of the cases named .../neighbour:busy, the twin of
// suites/channels/neighbour.h: one busy OS thread per usable CPU, pinned
// there, under SCHED_IDLE (nice 19 when SCHED_IDLE is refused).
//
// Go cannot run a busy OS thread beside its own P's: a goroutine locked to
// a thread still holds a P while it spins, so GOMAXPROCS of them would take
// every P from the case. So the peer starts the neighbour as a child
// process — this same binary with -neighbour-child — that spins on its own
// threads, and kills it after the case. The child's CPU time is not in the
// peer's getrusage(RUSAGE_SELF) (an unwaited child's never is), so
// cpu_ns_per_msg stays the channel's own, as in the C++ suite.

const schedIdle = 5 // SCHED_IDLE (linux/sched.h)

type neighbour struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	policy string
}

// startNeighbour starts the child and waits until every busy thread runs
// pinned with its policy set.
func startNeighbour() (*neighbour, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-neighbour-child")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("neighbour child did not start (%q, %v)", line, err)
	}
	return &neighbour{cmd: cmd, stdin: stdin, policy: strings.TrimSpace(strings.TrimPrefix(line, "ready "))}, nil
}

func (n *neighbour) stop() {
	n.stdin.Close()
	n.cmd.Process.Kill()
	n.cmd.Wait()
}

// neighbourChild is the child's main: one spinning thread per CPU of the
// affinity mask; exits when its stdin closes (or the parent dies).
func neighbourChild() {
	var set [16]uint64 // cpu_set_t, 1024 CPUs
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(set),
		uintptr(unsafe.Pointer(&set))); e != 0 {
		fmt.Fprintf(os.Stderr, "neighbour: sched_getaffinity: %v\n", e)
		os.Exit(1)
	}
	var cpus []int
	for c := 0; c < 1024; c++ {
		if set[c/64]&(1<<(c%64)) != 0 {
			cpus = append(cpus, c)
		}
	}
	// One P more than spinners, so that this goroutine can notice EOF.
	runtime.GOMAXPROCS(len(cpus) + 1)
	ready := make(chan bool, len(cpus))
	for _, c := range cpus {
		go func(cpu int) {
			runtime.LockOSThread()
			var mask [16]uint64
			mask[cpu/64] = 1 << (cpu % 64)
			syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask),
				uintptr(unsafe.Pointer(&mask)))
			var param [1]int32
			_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, 0, schedIdle,
				uintptr(unsafe.Pointer(&param[0])))
			syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
			ready <- e == 0
			n := uint64(0)
			for {
				n++
			}
		}(c)
	}
	idle := true
	for range cpus {
		idle = <-ready && idle
	}
	policy := "sched_idle"
	if !idle {
		policy = "nice19"
	}
	fmt.Printf("ready %s\n", policy)
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}
