using System.Text.RegularExpressions;

namespace SendGate.Core.Policies.Detectors;

/// <summary>
/// Reads an English salutation ("Dear Mr. Smith,", "Dear David,") against the recipients' display
/// names: a family name alone ("Dear Wilson," to David Wilson) is curt in a business letter, and a
/// title that does not go with the given name ("Dear Mr. Taylor," to Emma Taylor) is the wrong
/// person's or a careless one. Given names that are used for anyone (Alex, Sam, Taylor) are not
/// judged, nor a name that is not one of the recipients'.
/// </summary>
public static partial class EnglishSalutation
{
    // Common given names that are one gender's in English-speaking business mail; anything else is not judged.
    private static readonly HashSet<string> Female = new(StringComparer.OrdinalIgnoreCase)
    {
        "Abigail", "Alice", "Amanda", "Amy", "Angela", "Anna", "Anne", "Barbara", "Betty", "Carol", "Caroline", "Catherine", "Charlotte",
        "Christine", "Claire", "Deborah", "Diana", "Donna", "Dorothy", "Elizabeth", "Ella", "Emily", "Emma", "Grace", "Hannah", "Helen",
        "Isabella", "Jane", "Janet", "Jennifer", "Jessica", "Joanna", "Julia", "Karen", "Kate", "Katherine", "Laura", "Linda", "Lisa",
        "Lucy", "Margaret", "Maria", "Mary", "Megan", "Melissa", "Michelle", "Nancy", "Natalie", "Olivia", "Patricia", "Rachel",
        "Rebecca", "Ruth", "Sandra", "Sarah", "Sophie", "Stephanie", "Susan", "Victoria",
    };

    private static readonly HashSet<string> Male = new(StringComparer.OrdinalIgnoreCase)
    {
        "Adam", "Andrew", "Anthony", "Benjamin", "Brian", "Charles", "Christopher", "Daniel", "David", "Edward", "Eric", "Frank",
        "Gary", "George", "Henry", "Jack", "James", "Jason", "Jeffrey", "John", "Jonathan", "Joseph", "Kenneth", "Kevin", "Mark",
        "Matthew", "Michael", "Nicholas", "Oliver", "Patrick", "Paul", "Peter", "Richard", "Robert", "Ryan", "Scott", "Simon",
        "Stephen", "Steven", "Thomas", "Timothy", "William",
    };

    /// <summary>The problems of the first salutation line of <paramref name="newText"/>, judged against <paramref name="recipientNames"/>.</summary>
    public static IReadOnlyList<SalutationProblem> Check(string newText, IEnumerable<string> recipientNames)
    {
        var line = newText.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Take(3).FirstOrDefault(l => Greeting().IsMatch(l));
        if (line is null)
        {
            return [];
        }

        var match = Greeting().Match(line);
        var title = match.Groups["title"].Value.ToLowerInvariant();
        var name = match.Groups["name"].Value;
        foreach (var recipient in recipientNames)
        {
            var parts = recipient.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !System.Text.Ascii.IsValid(recipient))
            {
                continue;
            }

            // Only a recognisable given name first says which part is the family name (Tanaka Ichiro is written either way).
            var (given, family) = (parts[0], parts[^1]);
            if (!family.Equals(name, StringComparison.OrdinalIgnoreCase) || given.Equals(name, StringComparison.OrdinalIgnoreCase)
                || !(Female.Contains(given) || Male.Contains(given)))
            {
                continue;
            }

            if (title.Length == 0)
            {
                return [new(SalutationProblem.MissingHonorific, "英文の宛名が敬称のない姓だけです。Mr./Ms. を付けるか名で呼びかけます (a family name alone: add Mr./Ms. or use the given name)", line)];
            }

            var forMan = title == "mr";
            var forWoman = title is "ms" or "mrs" or "miss";
            if ((forMan && Female.Contains(given)) || (forWoman && Male.Contains(given)))
            {
                return [new(SalutationProblem.WrongTitle, $"英文の敬称 {match.Groups["title"].Value}. が {recipient} さんの名前に合いません (the title does not go with the recipient's given name)", line)];
            }
        }

        return [];
    }

    [GeneratedRegex(@"^(Dear|Hi|Hello)\s+(?:(?<title>Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+)?(?<name>[A-Z][A-Za-z'\-]+)\s*[,:!]?$")]
    private static partial Regex Greeting();
}
