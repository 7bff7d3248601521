// syncscope/etcd/internal/keys.h — key helpers of the recipes (etcd's
// contrib/recipes/key.go, written anew).
#ifndef SYNCSCOPE_ETCD_INTERNAL_KEYS_H_
#define SYNCSCOPE_ETCD_INTERNAL_KEYS_H_

#include <string>

#include "syncscope/etcd/client.h"

namespace syncscope::etcd::internal {

// Creates "<prefix>/<unique suffix>" = value (with lease) if absent; retries on
// a collision. Returns the created key and its create revision.
KeyValue new_unique_key(Client& c, const std::string& prefix, const std::string& value,
                        int64_t lease = 0);
// Creates "<prefix>/<seq>" with seq one past the prefix's last key (zero-padded
// so that key order is sequence order).
KeyValue new_sequential_key(Client& c, const std::string& prefix, const std::string& value);
// Deletes key only if its mod revision is still rev; true if this call deleted it.
bool delete_rev_key(Client& c, const std::string& key, int64_t rev);

}  // namespace syncscope::etcd::internal

#endif  // SYNCSCOPE_ETCD_INTERNAL_KEYS_H_
