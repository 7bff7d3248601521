// syncscope/chan_patterns.h — the seed's channel patterns (03 Channel:
// Or-Done, Fan In, Fan Out, Tee, Pipeline, Stream, Channels over channel)
// as reusable functions over Chan<T>.
//
// This file offers:
//   Workers
//     go(f)                      Go's `go f()`: runs f on a new detached
//                                thread, counted in live_workers()
//     live_workers()             pattern threads started and not yet finished
//     send_or_done(done, out, v) select { case out <- v: true; case <-done: false }
//     recv_or_done(done, in)     select { case v, ok := <-in: (ok ? v : none);
//                                         case <-done: none }
//   Or-done
//     or_done(done, c)           the seed's orDone: c's values until done fires
//                                or c is closed
//     or_channel_threads(cs)     "or": closed when any of cs fires; one thread
//                                per input ("Or-Done goroutine")
//     or_channel_recursive(cs)   the same by recursive halving ("二分法递归")
//     or_channel_select(cs)      the same with one DynamicSelect ("反射")
//   Fan in (merge)
//     fan_in_threads(done, ins)  one forwarding thread per input ("goroutine")
//     merge_two(done, a, b)      one thread, select over a and b
//     fan_in_recursive(done, ins) pairwise merge_two tree ("递归")
//     fan_in_select(done, ins)   one thread, DynamicSelect over all ("反射")
//   Fan out (every value to every output; outputs closed at the end)
//     fan_out(done, in, outs, FanOutMode::kSync | kAsync)   ("goroutine")
//     fan_out_select(done, in, outs)   each value to all, in readiness order ("反射")
//     fan_out_round_robin(done, in, outs)   each value to ONE output, in turn
//   tee(done, in)                every value to both outputs
//   Pipeline
//     generate(done, values)     the seed's gen
//     square(done, in)           the seed's sq
//   Stream
//     take_n, take_while, skip_n, skip_while, map_chan, filter_chan
//                                (done, in, n | fn) -> Chan
//     reduce_chan(done, in, init, fn) -> std::optional<R>   (synchronous)
//   Channels over channel
//     Request<Req, Resp>         {args, reply channel}
//     call(done, server, args)   send a request with a fresh reply channel and
//                                wait for the answer
//     serve(done, requests, handler)   a worker that answers requests
//
// Conventions. Every function that returns a channel starts its worker
// threads with go() and returns at once; the returned channel is
// unbuffered (as in the seed) and is closed by its worker when the worker
// stops. A worker stops when its input is closed and drained, or when
// `done` is closed — it never blocks without also watching done (every
// send and receive is a select with <-done), so closing done stops every
// worker of a pipeline whatever its consumers do: no thread is leaked.
// done may be the nil DoneChan ("never"), as Go lets a nil channel case
// never fire; then workers stop only when their inputs end. Values are
// moved through, so move-only T works except where a value is delivered
// twice (tee, fan_out, fan_out_select require copyable T).
//
// Where the seed's code would leak or panic, the version here differs, and
// says so at the function: the recursive "or" forwards its own done channel
// to the halves (else the losing half's threads wait forever); the
// asynchronous fan-out waits for its in-flight senders before closing the
// outputs (else they would send on a closed channel); take/skip check
// `ok` on receive (else a closed input yields zero values forever).
//
// Memory ordering: that of the channels (chan.h): a value's writes
// happen-before the reads of whoever receives it downstream, through every
// stage.

#ifndef SYNCSCOPE_CHAN_PATTERNS_H_
#define SYNCSCOPE_CHAN_PATTERNS_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <syncscope/chan.h>
#include <syncscope/select.h>
#include <syncscope/internal/sema.h>

namespace syncscope {

// ---- workers ----------------------------------------------------------------

namespace detail {
// The live-worker count (chan_patterns.cc). Incremented before a worker
// thread is created, decremented as the worker's last action (relaxed
// counts; the decrement is release so that a reader who sees the count drop
// with acquire also sees the worker's effects).
void worker_started() noexcept;
void worker_finished() noexcept;

// Closes a channel when a worker leaves, however it leaves (Go's
// `defer close(out)`).
template <class T>
struct CloseOnExit {
  Chan<T> ch;
  ~CloseOnExit() { ch.close(); }
};
}  // namespace detail

// live_workers(): threads started by go() that have not finished yet.
std::size_t live_workers() noexcept;

// go(f): Go's `go f()`. Runs f on a new detached thread; live_workers()
// counts it until f returns. An exception escaping f terminates the
// process, like an unrecovered panic in a goroutine.
template <class F>
void go(F&& f) {
  detail::worker_started();
  try {
    std::thread([fn = std::forward<F>(f)]() mutable {
      struct Finished {
        ~Finished() { detail::worker_finished(); }
      } finished;
      fn();
    }).detach();
  } catch (...) {
    detail::worker_finished();
    throw;
  }
}

// send_or_done(done, out, v): sends v unless done fires first (then v is
// dropped and it returns false). A nil done makes it a plain send.
template <class T>
bool send_or_done(const DoneChan& done, const Chan<T>& out, T v) {
  if (done.is_nil()) {
    out.send(std::move(v));
    return true;
  }
  return Select().send(out, std::move(v)).recv(done).run() == 0;
}

// recv_or_done(done, in): a value from in; nullopt if in is closed and
// drained or done fired first.
template <class T>
std::optional<T> recv_or_done(const DoneChan& done, const Chan<T>& in) {
  if (done.is_nil()) return in.receive();
  std::optional<T> out;
  Select().recv(in, [&out](std::optional<T> v) { out = std::move(v); }).recv(done).run();
  return out;
}

// ---- or-done ----------------------------------------------------------------

// or_done(done, c): the seed's orDone — forwards c's values until c is
// closed or done fires, then closes the result.
template <class T>
Chan<T> or_done(DoneChan done, Chan<T> c) {
  Chan<T> out(0);
  go([done, c, out] {
    detail::CloseOnExit<T> closer{out};
    while (std::optional<T> v = recv_or_done(done, c)) {
      if (!send_or_done(done, out, std::move(*v))) return;
    }
  });
  return out;
}

// or_channel_threads(chans): the seed's "Or-Done goroutine": the result is
// closed as soon as any input fires (a value or a close); one thread per
// input waits for its input or for the result to close, so once one fires
// every thread ends. The seed wraps the loop in one more goroutine; that
// adds nothing here. 0 inputs: the nil channel (never fires); 1: itself.
template <class T>
Chan<T> or_channel_threads(std::vector<Chan<T>> chans) {
  if (chans.empty()) return Chan<T>();
  if (chans.size() == 1) return chans[0];
  Chan<T> out(0);
  auto once = std::make_shared<std::atomic<bool>>(false);  // sync.Once
  for (const Chan<T>& c : chans) {
    go([c, out, once] {
      if (Select().recv(c).recv(out).run() == 0 && !once->exchange(true)) out.close();
    });
  }
  return out;
}

// or_channel_recursive(chans): the seed's "二分法递归". Two or three inputs:
// one thread selects over them. More: select over the "or" of each half.
// Difference from the seed: each half also gets this level's result channel
// as an input (as in Cox-Buday, "Concurrency in Go"), so when one half
// fires and this level closes its result, the other half's threads end too.
// The seed's version leaves them waiting forever:
//   select { case <-or(channels[:m]...): case <-or(channels[m:]...): }
//   // the losing half's goroutines still wait on their inputs: leaked.
// (With the extra input a half of n inputs has n/2 + 1, so n = 3 is a base
// case, not a split.)
template <class T>
Chan<T> or_channel_recursive(std::vector<Chan<T>> chans) {
  if (chans.empty()) return Chan<T>();
  if (chans.size() == 1) return chans[0];
  Chan<T> or_done(0);
  go([chans = std::move(chans), or_done]() mutable {
    detail::CloseOnExit<T> closer{or_done};
    if (chans.size() <= 3) {
      const Chan<T> third = chans.size() == 3 ? chans[2] : Chan<T>();
      Select().recv(chans[0]).recv(chans[1]).recv(third).run();
      return;
    }
    const std::size_t m = chans.size() / 2;
    std::vector<Chan<T>> left(chans.begin(), chans.begin() + static_cast<std::ptrdiff_t>(m));
    std::vector<Chan<T>> right(chans.begin() + static_cast<std::ptrdiff_t>(m), chans.end());
    left.push_back(or_done);
    right.push_back(or_done);
    Select()
        .recv(or_channel_recursive(std::move(left)))
        .recv(or_channel_recursive(std::move(right)))
        .run();
  });
  return or_done;
}

// or_channel_select(chans): the seed's "反射" version: one thread, one
// select over every input (DynamicSelect, the analogue of reflect.Select).
template <class T>
Chan<T> or_channel_select(std::vector<Chan<T>> chans) {
  if (chans.empty()) return Chan<T>();
  if (chans.size() == 1) return chans[0];
  Chan<T> or_done(0);
  go([chans = std::move(chans), or_done] {
    detail::CloseOnExit<T> closer{or_done};
    DynamicSelect sel;
    for (const Chan<T>& c : chans) sel.add_recv(c);
    sel.run();
  });
  return or_done;
}

// ---- fan in -----------------------------------------------------------------

// fan_in_threads(done, ins): the seed's "Fan In goroutine": one thread per
// input forwards its values; the last one to finish closes the result (the
// seed's WaitGroup + closing goroutine). No inputs: a closed channel.
template <class T>
Chan<T> fan_in_threads(DoneChan done, std::vector<Chan<T>> ins) {
  Chan<T> out(0);
  if (ins.empty()) {
    out.close();
    return out;
  }
  auto remaining = std::make_shared<std::atomic<std::size_t>>(ins.size());
  for (const Chan<T>& c : ins) {
    go([done, c, out, remaining] {
      while (std::optional<T> v = recv_or_done(done, c)) {
        if (!send_or_done(done, out, std::move(*v))) break;
      }
      if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) out.close();
    });
  }
  return out;
}

// merge_two(done, a, b): one thread merges a and b; an input that closes is
// set to nil so its case never fires again (the Go idiom), and the result is
// closed when both have closed (or done fires).
template <class T>
Chan<T> merge_two(DoneChan done, Chan<T> a, Chan<T> b) {
  Chan<T> out(0);
  go([done, a, b, out]() mutable {
    detail::CloseOnExit<T> closer{out};
    while (!a.is_nil() || !b.is_nil()) {
      std::optional<T> v;
      bool stop = false;
      Select()
          .recv(a, [&](std::optional<T> x) {
            if (!x) a = Chan<T>();
            v = std::move(x);
          })
          .recv(b, [&](std::optional<T> x) {
            if (!x) b = Chan<T>();
            v = std::move(x);
          })
          .recv(done, [&] { stop = true; })
          .run();
      if (stop) return;
      if (v && !send_or_done(done, out, std::move(*v))) return;
    }
  });
  return out;
}

// fan_in_recursive(done, ins): the seed's "Fan In 递归": 0 inputs -> a
// closed channel, 1 -> the input itself, 2 -> merge_two, more -> merge_two
// of the two halves' merges.
template <class T>
Chan<T> fan_in_recursive(DoneChan done, std::vector<Chan<T>> ins) {
  switch (ins.size()) {
    case 0: {
      Chan<T> c(0);
      c.close();
      return c;
    }
    case 1:
      return ins[0];
    case 2:
      return merge_two(done, ins[0], ins[1]);
    default: {
      const auto m = static_cast<std::ptrdiff_t>(ins.size() / 2);
      return merge_two(done,
                       fan_in_recursive(done, std::vector<Chan<T>>(ins.begin(), ins.begin() + m)),
                       fan_in_recursive(done, std::vector<Chan<T>>(ins.begin() + m, ins.end())));
    }
  }
}

// fan_in_select(done, ins): the seed's "Fan In 反射": one thread, one
// DynamicSelect over every input; a closed input's case is removed.
template <class T>
Chan<T> fan_in_select(DoneChan done, std::vector<Chan<T>> ins) {
  Chan<T> out(0);
  go([done, ins = std::move(ins), out] {
    detail::CloseOnExit<T> closer{out};
    DynamicSelect sel;
    sel.add_recv(done);  // case 0; a nil done never fires
    for (const Chan<T>& c : ins) sel.add_recv(c);
    while (sel.size() > 1) {
      const int i = sel.run();
      if (i == 0) return;
      std::optional<T> v = sel.take<T>(static_cast<std::size_t>(i));
      if (!v) {
        sel.remove(static_cast<std::size_t>(i));
        continue;
      }
      if (!send_or_done(done, out, std::move(*v))) return;
    }
  });
  return out;
}

// ---- fan out ----------------------------------------------------------------

enum class FanOutMode {
  kSync,   // send each value to each output in turn, waiting for each
  kAsync,  // one thread per (value, output) send, as the seed's `go func()`
};

// fan_out(done, in, outs, mode): the seed's "Fan Out goroutine": every value
// of in goes to every output; all outputs are closed when in is closed (or
// done fires). Difference from the seed in kAsync mode: the seed's deferred
// close(out[i]) can run while its `go func() { out[i] <- v }()` senders are
// still blocked, and they then panic with "send on closed channel"; here
// the outputs are closed only after every in-flight sender has finished.
template <class T>
void fan_out(DoneChan done, Chan<T> in, std::vector<Chan<T>> outs,
             FanOutMode mode = FanOutMode::kSync) {
  static_assert(std::is_copy_constructible_v<T>, "fan_out sends each value to every output");
  go([done, in, outs = std::move(outs), mode] {
    // Released once by each asynchronous sender when it finishes.
    auto finished = std::make_shared<Sema>(0);
    std::size_t started = 0;
    bool stopped = false;
    while (!stopped) {
      std::optional<T> v = recv_or_done(done, in);
      if (!v) break;
      for (const Chan<T>& out : outs) {
        if (mode == FanOutMode::kAsync) {
          ++started;
          go([done, out, value = *v, finished]() mutable {
            send_or_done(done, out, std::move(value));
            finished->release();
          });
        } else if (!send_or_done(done, out, *v)) {
          stopped = true;
          break;
        }
      }
    }
    for (; started > 0; --started) finished->acquire();
    for (const Chan<T>& out : outs) out.close();
  });
}

// fan_out_select(done, in, outs): the seed's "Fan Out 反射": each value is
// offered to every output at once and delivered to each as it becomes
// ready (a send case disables itself once it has fired), so a slow output
// does not hold back the others within one value.
template <class T>
void fan_out_select(DoneChan done, Chan<T> in, std::vector<Chan<T>> outs) {
  static_assert(std::is_copy_constructible_v<T>, "fan_out_select sends each value to every output");
  go([done, in, outs = std::move(outs)] {
    DynamicSelect sel;
    sel.add_recv(done);  // case 0
    for (const Chan<T>& out : outs) sel.add_send(out);  // no value yet
    bool stopped = false;
    while (!stopped) {
      std::optional<T> v = recv_or_done(done, in);
      if (!v) break;
      for (std::size_t i = 0; i < outs.size(); ++i) sel.set_value(i + 1, *v);
      for (std::size_t k = 0; k < outs.size(); ++k) {
        if (sel.run() == 0) {
          stopped = true;
          break;
        }
      }
    }
    for (const Chan<T>& out : outs) out.close();
  });
}

// fan_out_round_robin(done, in, outs): the seed's "Fan out roundrobin":
// value k goes to outs[k % outs.size()] only.
template <class T>
void fan_out_round_robin(DoneChan done, Chan<T> in, std::vector<Chan<T>> outs) {
  go([done, in, outs = std::move(outs)] {
    std::size_t i = 0;
    while (std::optional<T> v = recv_or_done(done, in)) {
      if (outs.empty()) continue;
      if (!send_or_done(done, outs[i], std::move(*v))) break;
      i = (i + 1) % outs.size();
    }
    for (const Chan<T>& out : outs) out.close();
  });
}

// tee(done, in): every value of in goes to both outputs (in either order:
// whichever consumer is ready first gets it first; the case that has
// delivered is set to nil for the rest of that value). Both are closed when
// in is closed or done fires.
template <class T>
std::pair<Chan<T>, Chan<T>> tee(DoneChan done, Chan<T> in) {
  static_assert(std::is_copy_constructible_v<T>, "tee sends each value twice");
  Chan<T> out1(0);
  Chan<T> out2(0);
  go([done, in, out1, out2] {
    detail::CloseOnExit<T> close1{out1};
    detail::CloseOnExit<T> close2{out2};
    while (std::optional<T> v = recv_or_done(done, in)) {
      Chan<T> o1 = out1;
      Chan<T> o2 = out2;
      for (int k = 0; k < 2; ++k) {
        bool stop = false;
        Select()
            .recv(done, [&] { stop = true; })
            .send(o1, *v, [&] { o1 = Chan<T>(); })
            .send(o2, *v, [&] { o2 = Chan<T>(); })
            .run();
        if (stop) return;
      }
    }
  });
  return {out1, out2};
}

// ---- pipeline ---------------------------------------------------------------

// generate(done, values): the seed's gen(nums...): sends each value in
// order, then closes.
template <class T>
Chan<T> generate(DoneChan done, std::vector<T> values) {
  Chan<T> out(0);
  go([done, values = std::move(values), out]() mutable {
    detail::CloseOnExit<T> closer{out};
    for (T& v : values) {
      if (!send_or_done(done, out, std::move(v))) return;
    }
  });
  return out;
}

// square(done, in): the seed's sq: n*n for each n of in.
template <class T>
Chan<T> square(DoneChan done, Chan<T> in) {
  Chan<T> out(0);
  go([done, in, out] {
    detail::CloseOnExit<T> closer{out};
    while (std::optional<T> n = recv_or_done(done, in)) {
      if (!send_or_done(done, out, T(*n * *n))) return;
    }
  });
  return out;
}

// ---- stream -----------------------------------------------------------------
// The seed's take/skip receive with `case v := <-valueStream` (no ok): on a
// closed input they would forward zero values forever, and they send with a
// bare `takeStream <- v`, which can block forever once the consumer leaves.
// Here every receive checks for the close and every send watches done.

// take_n(done, in, n): the first n values of in, then closes. (It stops
// reading in after n values: in's producer should watch done.)
template <class T>
Chan<T> take_n(DoneChan done, Chan<T> in, std::size_t n) {
  Chan<T> out(0);
  go([done, in, out, n] {
    detail::CloseOnExit<T> closer{out};
    for (std::size_t i = 0; i < n; ++i) {
      std::optional<T> v = recv_or_done(done, in);
      if (!v || !send_or_done(done, out, std::move(*v))) return;
    }
  });
  return out;
}

// take_while(done, in, fn): values of in while fn(v) holds; closes at the
// first value for which it does not (that value is dropped).
template <class T, class Fn>
Chan<T> take_while(DoneChan done, Chan<T> in, Fn fn) {
  Chan<T> out(0);
  go([done, in, out, fn = std::move(fn)]() mutable {
    detail::CloseOnExit<T> closer{out};
    while (std::optional<T> v = recv_or_done(done, in)) {
      if (!fn(std::as_const(*v))) return;
      if (!send_or_done(done, out, std::move(*v))) return;
    }
  });
  return out;
}

// skip_n(done, in, n): in without its first n values.
template <class T>
Chan<T> skip_n(DoneChan done, Chan<T> in, std::size_t n) {
  Chan<T> out(0);
  go([done, in, out, n] {
    detail::CloseOnExit<T> closer{out};
    std::size_t skipped = 0;
    while (std::optional<T> v = recv_or_done(done, in)) {
      if (skipped < n) {
        ++skipped;
        continue;
      }
      if (!send_or_done(done, out, std::move(*v))) return;
    }
  });
  return out;
}

// skip_while(done, in, fn): drops values while fn(v) holds, then forwards
// everything from the first value for which it does not (the seed's
// skipwhile: once taking, fn is no longer called).
template <class T, class Fn>
Chan<T> skip_while(DoneChan done, Chan<T> in, Fn fn) {
  Chan<T> out(0);
  go([done, in, out, fn = std::move(fn)]() mutable {
    detail::CloseOnExit<T> closer{out};
    bool taking = false;
    while (std::optional<T> v = recv_or_done(done, in)) {
      if (!taking) {
        taking = !fn(std::as_const(*v));
        if (!taking) continue;
      }
      if (!send_or_done(done, out, std::move(*v))) return;
    }
  });
  return out;
}

// map_chan(done, in, fn): fn(v) for each v (the seed's mapChan; a nil in
// gives a closed result at once, as the seed's `if in == nil`).
template <class T, class Fn, class R = std::decay_t<std::invoke_result_t<Fn&, T&&>>>
Chan<R> map_chan(DoneChan done, Chan<T> in, Fn fn) {
  Chan<R> out(0);
  if (in.is_nil()) {
    out.close();
    return out;
  }
  go([done, in, out, fn = std::move(fn)]() mutable {
    detail::CloseOnExit<R> closer{out};
    while (std::optional<T> v = recv_or_done(done, in)) {
      if (!send_or_done(done, out, R(fn(std::move(*v))))) return;
    }
  });
  return out;
}

// filter_chan(done, in, fn): the values v of in with fn(v).
template <class T, class Fn>
Chan<T> filter_chan(DoneChan done, Chan<T> in, Fn fn) {
  Chan<T> out(0);
  go([done, in, out, fn = std::move(fn)]() mutable {
    detail::CloseOnExit<T> closer{out};
    while (std::optional<T> v = recv_or_done(done, in)) {
      if (!fn(std::as_const(*v))) continue;
      if (!send_or_done(done, out, std::move(*v))) return;
    }
  });
  return out;
}

// reduce_chan(done, in, init, fn): folds every value of in into
// acc = fn(acc, v), on the calling thread, until in is closed; returns the
// result, or nullopt if done fired first.
template <class T, class R, class Fn>
std::optional<R> reduce_chan(const DoneChan& done, const Chan<T>& in, R init, Fn fn) {
  R acc = std::move(init);
  for (;;) {
    bool stopped = false;
    std::optional<T> v;
    if (done.is_nil()) {
      v = in.receive();
    } else {
      Select()
          .recv(in, [&](std::optional<T> x) { v = std::move(x); })
          .recv(done, [&] { stopped = true; })
          .run();
    }
    if (stopped) return std::nullopt;
    if (!v) return acc;
    acc = fn(std::move(acc), std::move(*v));
  }
}

// ---- channels over channel ------------------------------------------------

// A request that carries the channel its answer goes to (the seed's
// `chan chan time.Duration`, with arguments added).
template <class Req, class Resp>
struct Request {
  Req args;
  Chan<Resp> reply;
};

// call(done, server, args): sends {args, reply} to server, where reply is a
// fresh channel of capacity 1 (so the server never blocks answering a caller
// that gave up), and waits for the answer. nullopt if done fires first or
// the server closed the reply channel without answering.
template <class Req, class Resp>
std::optional<Resp> call(const DoneChan& done, const Chan<Request<Req, Resp>>& server, Req args) {
  Chan<Resp> reply(1);
  if (!send_or_done(done, server, Request<Req, Resp>{std::move(args), reply})) return std::nullopt;
  return recv_or_done(done, reply);
}

// serve(done, requests, handler): a worker that answers each request with
// handler(args) until requests is closed or done fires.
template <class Req, class Resp, class Handler>
void serve(DoneChan done, Chan<Request<Req, Resp>> requests, Handler handler) {
  go([done, requests, handler = std::move(handler)]() mutable {
    while (std::optional<Request<Req, Resp>> r = recv_or_done(done, requests)) {
      if (!send_or_done(done, r->reply, Resp(handler(std::move(r->args))))) return;
    }
  });
}

}  // namespace syncscope

#endif  // SYNCSCOPE_CHAN_PATTERNS_H_
