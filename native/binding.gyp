# The native data plane: far-memory regions (userfaultfd), the memory node server, control blocks and the
# benchmark floors. Built offline by scripts/build.mjs with npm's bundled node-gyp.
{
  "targets": [
    {
      "target_name": "spirit_native",
      "sources": [
        "src/addon.cc",
        "src/napi_common.cc",
        "src/napi_region.cc",
        "src/napi_memnode.cc",
        "src/napi_control.cc",
        "src/napi_floors.cc",
        "src/control_block.cc",
        "src/floors.cc",
        "src/memnode_admission.cc",
        "src/memnode_conn.cc",
        "src/memnode_server.cc",
        "src/memnode_store.cc",
        "src/net.cc",
        "src/region.cc",
        "src/region_evict.cc",
        "src/region_faults.cc",
        "src/region_fetch.cc",
        "src/region_loop.cc",
        "src/region_partitions.cc",
        "src/region_replicas.cc",
        "src/region_sampler.cc",
        "src/region_writeback.cc",
        "src/replica.cc",
        "src/uffd.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++20", "-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-fexceptions"],
      "libraries": ["-lpthread"]
    }
  ]
}
