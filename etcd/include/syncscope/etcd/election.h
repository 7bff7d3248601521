// syncscope/etcd/election.h — Election: leader election on etcd (Go's
// clientv3/concurrency.Election).
//
// This file offers:
//   Election(session, prefix)
//     campaign(value, ctx)   Campaign: blocks until this session is the leader
//                            (or ctx done / session lost -> Error)
//     proclaim(value)        Proclaim: a new value without a new election;
//                            Errc::kElectionNotLeader if not the leader
//     resign()               Resign: give up leadership; Errc::kElectionNotLeader
//                            if not the leader (Go returns nil: a C++ caller is told)
//     leader() -> KeyValue   Leader: the current leader's key/value/create
//                            revision; Errc::kElectionNoLeader if none
//     observe(ctx) -> Observer   Observe: the stream of leader values, as a Chan
//     key(), rev(), header() Key(), Rev(), Header()
//
// Algorithm (etcd's election.go, written anew): like the Mutex, candidates
// create `<prefix>/<lease hex>` with their session's lease and wait for every
// older key to be deleted (watching the predecessor only); the oldest key is
// the leader, its value the proclaimed value. A leader whose session dies
// loses its key with the lease, and the next candidate's wait ends: it
// becomes leader, and observers see its value.
//
// Observer: owns a thread that sends the current leader (the oldest key) on
// chan(), then each of its later values, then on deletion the next leader —
// every change of leader at least once, in order, the latest value always
// (intermediate values may be skipped only if the reader is slower than the
// updates, as Go's). The channel is unbuffered; it is closed when the
// Observer is destroyed or stop()ped, when ctx is done, or when the watch
// fails for good.
//
// Thread safety: one Election object per thread; observers from any thread.
#ifndef SYNCSCOPE_ETCD_ELECTION_H_
#define SYNCSCOPE_ETCD_ELECTION_H_

#include <memory>
#include <string>
#include <thread>

#include "syncscope/chan.h"
#include "syncscope/context.h"
#include "syncscope/etcd/session.h"

namespace syncscope::etcd {

class Observer {
 public:
  Observer(Observer&&) noexcept = default;
  Observer& operator=(Observer&&) noexcept = default;
  ~Observer();
  Chan<KeyValue> chan() const { return ch_; }
  void stop();

 private:
  friend class Election;
  Observer() = default;
  Chan<KeyValue> ch_;
  CancelFunc cancel_;
  std::unique_ptr<std::thread> thread_;
};

class Election {
 public:
  Election(Session& s, std::string prefix);

  void campaign(const std::string& value, const Context& ctx = Context::background());
  void proclaim(const std::string& value);
  void resign();
  KeyValue leader();
  Observer observe(const Context& ctx = Context::background());

  const std::string& key() const noexcept { return key_; }
  int64_t rev() const noexcept { return rev_; }
  const Header& header() const noexcept { return header_; }
  bool is_leader() const noexcept { return !key_.empty(); }

 private:
  Session& s_;
  std::string pfx_;   // "<prefix>/"
  std::string key_;   // "" when not leader
  int64_t rev_ = -1;
  Header header_;
};

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_ELECTION_H_
