namespace SemiNas.Controller.Tests;

/// <summary>A test of Linux-only behaviour (the libstdc++ fix, glibc's allocator): reported as skipped elsewhere, with why.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute(string needs = "")
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux" + (needs.Length > 0 ? $" ({needs})" : "");
        else if (needs.StartsWith('/') && !File.Exists(needs)) Skip = $"needs {needs}";
    }
}
