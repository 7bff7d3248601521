// syncscope/etcd/queue.h — Queue and PriorityQueue on etcd (etcd's
// contrib/recipes Queue and PriorityQueue; the seed's 分布式队列和优先级队列).
//
// This file offers:
//   Queue(client, prefix)
//     enqueue(value)             adds "<prefix>/<unique>" = value
//     dequeue(ctx) -> value      removes and returns the oldest element (lowest
//                                create revision: FIFO); blocks while empty
//   PriorityQueue(client, prefix)
//     enqueue(value, priority)   priority 0..65535, LOWER is served first (etcd's
//                                recipe); key "<prefix>/<%05d priority>/<%016d seq>"
//     dequeue(ctx) -> value      the first key in key order: lowest priority
//                                number, FIFO within a priority
//
// Dequeue claims an element with a transaction that deletes it only if its mod
// revision is unchanged, so among concurrent consumers exactly one gets each
// element; the others move on to the next. An empty queue is waited on with
// one prefix watch from the revision of the read that found it empty (no
// enqueue is missed). ctx done -> Errc::kCanceled / kDeadlineExceeded.
// Elements are not attached to a lease: they outlive their producer.
#ifndef SYNCSCOPE_ETCD_QUEUE_H_
#define SYNCSCOPE_ETCD_QUEUE_H_

#include <cstdint>
#include <string>

#include "syncscope/context.h"
#include "syncscope/etcd/client.h"

namespace syncscope::etcd {

class Queue {
 public:
  Queue(Client& c, std::string prefix) : c_(c), pfx_(std::move(prefix)) {}
  void enqueue(const std::string& value);
  std::string dequeue(const Context& ctx = Context::background());

 private:
  Client& c_;
  std::string pfx_;
};

class PriorityQueue {
 public:
  PriorityQueue(Client& c, std::string prefix) : c_(c), pfx_(std::move(prefix)) {}
  void enqueue(const std::string& value, uint16_t priority);
  std::string dequeue(const Context& ctx = Context::background());

 private:
  Client& c_;
  std::string pfx_;
};

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_QUEUE_H_
