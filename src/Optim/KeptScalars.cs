using System.Collections.Concurrent;
using TorchSharp;

namespace SemiNas.Optim;

/// <summary>
/// Numbers used on every training step as libtorch scalars that stay alive. TorchSharp 0.107 turns a number into a
/// temporary <see cref="Scalar"/> and passes its handle to libtorch without keeping the object alive, so a garbage
/// collection during the call can free it ("Unknown scalar type"; three of sixteen TTS final trainings on a loaded
/// machine died so). The values here are constants of a model (a few per process), made once and never freed; the
/// optimisers here hold their own (<see cref="CoupledAdam"/>). Use it for any number a training step passes to libtorch.
/// </summary>
public static class KeptScalars
{
    private static readonly ConcurrentDictionary<double, Scalar> Cache = new();

    public static Scalar NegativeInfinity { get; } = float.NegativeInfinity;

    public static Scalar Of(double value) => Cache.GetOrAdd(value, v => v);
}
