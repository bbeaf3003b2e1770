using Xunit;

// The test classes run one at a time. TorchSharp 0.107 hands libtorch only the IntPtr of an implicit Scalar (every
// `add_(y, alpha: 0.5)`, every `x * 2.0`); the Scalar object is then unreachable, and a garbage collection triggered by
// another thread can run its finalizer, which frees the native scalar while libtorch still reads it ("Unknown scalar
// type" from c10/core/Scalar.h, seen in TorchSharp's own Adam.step and in generated SDE code). A collection cannot start on
// the calling thread while it is inside the native call, so with one test thread the window closes; test classes running
// in parallel reopened it (2 of 3 clean-clone runs on 2026-11-25 failed one test each this way).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
