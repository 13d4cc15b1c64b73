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

    /// <summary>
    /// An entry of execution.devices or --device (cpu, cuda, cuda:N, auto) as evaluations use it: auto becomes cpu or
    /// cuda, and a CUDA device is refused where none is usable.
    /// </summary>
    public static string Resolve(string device, string source)
    {
        if (!ExecutionConfig.IsDevice(device))
            throw new FormatException($"{source}: '{device}' is not a device; use cpu, cuda, cuda:N (N a GPU's index, e.g. cuda:1) or auto.");
        if (device == "auto") return Resolve(DeviceKind.Auto);
        if (device.StartsWith("cuda", StringComparison.Ordinal) && !CudaAvailable())
            throw new InvalidOperationException($"{source} names {device}, but no CUDA device is usable (this build carries the CPU libtorch; use a CUDA build of TorchSharp on a GPU machine).");
        return device;
    }

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
