using System.Runtime.InteropServices;
using SemiNas.Core;

namespace SemiNas.Controller.Nao;

/// <summary>
/// Keeps freed native memory in glibc's heap instead of handing it back to the kernel. libtorch allocates every
/// activation and gradient with malloc; with glibc's defaults, blocks above a (dynamic) threshold are mmapped and
/// the heap top is trimmed, so a training step can page-fault its MB-sized tensors in again on every call.
/// Measured on the 2-core build machine (1 thread, the EPD's BiLSTM forward+backward at batch 100) while a
/// dotnet build ran alongside: 85 ms CPU per call, 37 ms of it in the kernel, before; 22 ms (4 ms kernel) after.
/// On an idle machine both take ~12 ms. Both settings are needed: setting either one alone stops glibc's own
/// adjustment of the other and made things worse.
/// </summary>
/// <remarks>
/// Process-wide and permanent (the process keeps its peak heap); harmless for other code. A no-op outside
/// glibc-based Linux. <see cref="EpdModel"/>'s constructor applies it.
/// </remarks>
public static class GlibcAllocatorTuning
{
    private const int TrimThreshold = -1;  // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3;  // M_MMAP_THRESHOLD
    private const int LargestHeapBlock = 32 << 20;  // glibc's upper limit for M_MMAP_THRESHOLD on 64-bit

    private static readonly Lazy<bool> Applied = new(ApplyOnce);

    /// <summary>Applies the settings (once per process); true when glibc accepted them.</summary>
    public static bool Apply() => Applied.Value;

    private static bool ApplyOnce()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return Mallopt(MmapThreshold, LargestHeapBlock) == 1 & Mallopt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // glibc's soname: elsewhere (musl, macOS) the import fails and the tuning is skipped.
    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
}
