// RUN: qsl-opt --help | FileCheck %s
// QSL's passes and pipelines are registered next to upstream's.

// CHECK: --qsl-lower-to-linalg
// CHECK-SAME: Reference lowering
// CHECK: --qsl-storage-report
// CHECK: --qsl-compress-pipeline
// CHECK-SAME: preset of
// CHECK: --qsl-cpu-reference-pipeline
