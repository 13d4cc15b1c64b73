using SemiNas.Host.Configuration;

namespace SemiNas.Host.Experiments;

/// <summary>Turns execution.device into the device evaluations use.</summary>
public static class DeviceResolver
{
    public static string Resolve(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => CudaAvailable()
            ? "cuda"
            : throw new InvalidOperationException("execution.device is cuda, but no CUDA device is usable (this build carries the CPU libtorch; use a CUDA build of TorchSharp on a GPU machine)."),
        _ => CudaAvailable() ? "cuda" : "cpu",
    };

    private static bool CudaAvailable()
    {
        try
        {
            return TorchSharp.torch.cuda.is_available();
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            return false;
        }
    }
}
