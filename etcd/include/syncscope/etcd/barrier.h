// syncscope/etcd/barrier.h — Barrier and DoubleBarrier on etcd (etcd's
// contrib/recipes Barrier and DoubleBarrier; the seed's 分布式栅栏).
//
// This file offers:
//   Barrier(client, key)                  a gate: while the key exists, wait() blocks
//     hold()                              Hold: create the key (Errc::kInternal if
//                                         already held: "barrier already held")
//     release()                           Release: delete it; every waiter proceeds
//     wait(ctx)                           Wait: return at once if not held, else
//                                         until released (or ctx -> Error)
//   DoubleBarrier(session, key, count)    count processes enter together and leave
//                                         together
//     enter(ctx)                          Enter: register (ephemeral key on the
//                                         session's lease); the count-th to enter
//                                         opens the barrier for all; more than count
//                                         -> Errc::kTooManyClients
//     leave(ctx)                          Leave: returns when every participant has
//                                         left
//
// DoubleBarrier algorithm (etcd's, anew): entering = creating
// "<key>/waiters/<unique>"; the count-th sees count waiters and puts
// "<key>/ready", which wakes the others (they watch it from their own key's
// revision, so a put before they started watching is not missed). Leaving:
// the participant with the lowest waiter key waits for the highest to go;
// every other deletes its key and waits for the lowest to go; the last one
// deletes "ready". Waits watch one key each (no herd on the prefix).
// Participants whose session dies leave implicitly (their key goes with the
// lease).
#ifndef SYNCSCOPE_ETCD_BARRIER_H_
#define SYNCSCOPE_ETCD_BARRIER_H_

#include <string>

#include "syncscope/context.h"
#include "syncscope/etcd/session.h"

namespace syncscope::etcd {

class Barrier {
 public:
  Barrier(Client& c, std::string key) : c_(c), key_(std::move(key)) {}
  void hold();
  void release();
  void wait(const Context& ctx = Context::background());

 private:
  Client& c_;
  std::string key_;
};

class DoubleBarrier {
 public:
  DoubleBarrier(Session& s, std::string key, int count);
  void enter(const Context& ctx = Context::background());
  void leave(const Context& ctx = Context::background());

 private:
  Session& s_;
  std::string key_;
  int count_;
  KeyValue mine_;  // my waiter key; key empty when not entered
};

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_BARRIER_H_
