namespace SemiNas.Contracts;

/// <summary>
/// Optional, on an <see cref="ISearchTask"/>: the task reads inputs (a data set, a corpus) that can be missing or
/// broken. <c>seminas search</c> calls <see cref="CheckInputs"/> once when a search starts or resumes, before the
/// strategy proposes anything; <c>validate</c> and <c>describe</c> do not, so a configuration can be checked before
/// its data exists.
/// </summary>
public interface IStartupCheck
{
    /// <summary>
    /// Loads and checks the inputs. Throwing stops the search with the exception's message and a non-zero exit
    /// before any trial runs; the experiment stays unfinished, so the same command resumes it once the input is fixed.
    /// Anything worth the user's attention that does not stop the search (rows skipped as configured, say) is
    /// written to <paramref name="report"/>, which the host shows.
    /// </summary>
    void CheckInputs(TextWriter report);
}
