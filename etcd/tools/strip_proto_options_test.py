#!/usr/bin/env python3
"""Tests of strip_proto_options.py on hand-written fixtures shaped like etcd's protos."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import strip_proto_options as spo  # noqa: E402

FIXTURE = '''syntax = "proto3";
package etcdserverpb;

import "gogoproto/gogo.proto";
import "etcd/mvcc/mvccpb/kv.proto";

// for grpc-gateway
import "google/api/annotations.proto";

option (gogoproto.marshaler_all) = true;
option (gogoproto.unmarshaler_all) = true;

service KV {
  rpc Range(RangeRequest) returns (RangeResponse) {
      option (google.api.http) = {
        post: "/v3/kv/range"
        body: "*"
    };
  }
  rpc Put(PutRequest) returns (PutResponse) {}
}

message RangeRequest {
  bytes key = 1;
  string tag = 2 [(gogoproto.moretags) = "yaml:\\"a,b\\""];
  int64 x = 3 [(gogoproto.nullable) = false, deprecated = true];
  int64 y = 4 [deprecated = true];
}
'''


class StripTest(unittest.TestCase):
    def test_removes_go_only_parts(self):
        out = spo.strip(FIXTURE)
        self.assertNotIn('gogoproto', out)
        self.assertNotIn('google', out)
        self.assertNotIn('post:', out)
        self.assertIn('import "etcd/mvcc/mvccpb/kv.proto";', out)
        self.assertIn('rpc Range(RangeRequest) returns (RangeResponse) {\n  }', out)
        self.assertIn('rpc Put(PutRequest) returns (PutResponse) {}', out)
        self.assertIn('string tag = 2;', out)
        self.assertIn('int64 x = 3 [deprecated = true];', out)
        self.assertIn('int64 y = 4 [deprecated = true];', out)

    def test_plain_proto_unchanged(self):
        plain = 'syntax = "proto3";\nmessage A { int64 a = 1; }\n'
        self.assertEqual(spo.strip(plain), plain)

    def test_unterminated_block_is_an_error(self):
        with self.assertRaises(ValueError):
            spo.strip('rpc A(B) returns (C) {\n option (google.api.http) = {\n post: "x"\n')

    def test_cli_bad_input_exits_2(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'strip_proto_options.py')
        r = subprocess.run([sys.executable, script, '/nonexistent/x.proto', '/tmp/out.proto'],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn('/nonexistent/x.proto', r.stderr)
        r = subprocess.run([sys.executable, script], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)

    def test_protoc_accepts_output(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, 'etcd/mvcc/mvccpb'))
            with open(os.path.join(d, 'etcd/mvcc/mvccpb/kv.proto'), 'w') as f:
                f.write('syntax = "proto3";\npackage mvccpb;\nmessage KeyValue { bytes key = 1; }\n')
            with open(os.path.join(d, 'rpc.proto'), 'w') as f:
                f.write(spo.strip(FIXTURE).replace(
                    'message RangeRequest', 'message RangeResponse {}\nmessage PutRequest {}\n'
                    'message PutResponse {}\nmessage RangeRequest'))
            r = subprocess.run(['protoc', '-I', d, '--cpp_out', d, 'rpc.proto'],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == '__main__':
    unittest.main()
