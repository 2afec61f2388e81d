using System.Globalization;
using SendGate.Core.Policies.Detectors;

namespace SendGate.UnitTests.Policies;

public sealed class DetectorTests
{
    // ---- TextNormalizer ----

    [Theory]
    [InlineData("ｔｅｓｔ", "test")]
    [InlineData("Ｔｅｓｔ", "test")]
    [InlineData("ﾃｽﾄ", "テスト")]
    [InlineData("ｶﾞ", "ガ")]
    [InlineData("１２３", "123")]
    [InlineData("Hello World", "hello world")]
    [InlineData("山田　太郎", "山田 太郎")]
    [InlineData("", "")]
    public void Normalize_folds_width_and_case(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Fact]
    public void Normalize_returns_lower_case_ascii_unchanged_without_copying()
    {
        const string text = "already lower-case ascii 123";
        Assert.Same(text, TextNormalizer.Normalize(text));
    }

    [Fact]
    public void Normalize_survives_a_lone_surrogate() =>
        Assert.Equal("a\uD800b", TextNormalizer.Normalize("A\uD800B"));

    // ---- CreditCardDetector ----

    [Theory]
    [InlineData("4111111111111111", "****-****-****-1111")]
    [InlineData("card: 4111 1111 1111 1111.", "****-****-****-1111")]
    [InlineData("card:4111-1111-1111-1111", "****-****-****-1111")]
    [InlineData("card number 4111-1111-1111-\n1111, expiry 06/29", "****-****-****-1111")] // wrapped after a group's hyphen
    [InlineData("card 4111 1111\r\n  1111 1111 expiry", "****-****-****-1111")] // wrapped where a space was
    [InlineData("amex 3782 822463 10005", "***********-0005")]
    [InlineData("378282246310005", "***********-0005")]
    [InlineData("4222222222222", "*********-2222")]
    [InlineData("6222021234567890128", "***************-0128")]
    [InlineData("6222 0212 3456 7890 128", "***************-0128")]
    [InlineData("ref x4111111111111111y", "****-****-****-1111")]
    public void Card_numbers_are_found_and_masked(string text, string masked) =>
        Assert.Equal([masked], CreditCardDetector.Find(text));

    [Theory]
    [InlineData("4111111111111112")]
    [InlineData("4111 1111 1111 1112")]
    [InlineData("411111111111")] // 12 digits: too short
    [InlineData("00004111111111111111")] // 20 digits; Luhn-valid as a whole and contains a card, but is no card
    [InlineData("41111111111111111111111111")]
    [InlineData("4111  1111  1111  1111")] // double spaces do not group
    [InlineData("4111-1111 1111-1111")] // one number uses one kind of separator
    [InlineData("4111-1111-1111\n\n1111")] // a paragraph break is no wrap
    [InlineData("4111\n1111\n1111\n1111")] // a column of numbers is no wrapped card
    [InlineData("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1")] // single digits are not card groups
    [InlineData("2024-01-15 03-1234-5678 090-1234-5678 〒100-0001")]
    [InlineData("no digits at all")]
    [InlineData("")]
    public void Non_cards_are_not_flagged(string text) => Assert.Empty(CreditCardDetector.Find(text));

    [Fact]
    public void A_card_followed_by_a_short_number_is_still_found() =>
        Assert.Equal(["****-****-****-1111"], CreditCardDetector.Find("4111 1111 1111 1111 100 items"));

    [Fact]
    public void Each_occurrence_is_reported_up_to_max()
    {
        const string text = "a 4111111111111111 b 5500-0000-0000-0004 c 4111 1111 1111 1111 d 6011111111111117";
        Assert.Equal(
            ["****-****-****-1111", "****-****-****-0004", "****-****-****-1111", "****-****-****-1117"],
            CreditCardDetector.Find(text));
        Assert.Equal(2, CreditCardDetector.Find(text, max: 2).Count);
        Assert.Empty(CreditCardDetector.Find(text, max: 0));
    }

    [Fact]
    public void Adjacent_grouped_cards_are_two_hits() =>
        Assert.Equal(2, CreditCardDetector.Find("4111 1111 1111 1111 5500 0000 0000 0004").Count);

    [Fact]
    public void Full_width_digits_are_found_after_normalising()
    {
        var body = TextNormalizer.Normalize("カード番号：４１１１－１１１１－１１１１－１１１１です");
        Assert.Equal(["****-****-****-1111"], CreditCardDetector.Find(body));
    }

    [Fact]
    public void Masking_never_shows_more_than_the_last_four_digits()
    {
        for (var length = 13; length <= 19; length++)
        {
            // 68…: a debit (Maestro-range) prefix, issued at every length from 13 to 19.
            var number = LuhnComplete("68765432109876543210"[..(length - 1)]);
            Assert.True(CreditCardDetector.IsLuhnValid(number));
            foreach (var text in new[] { number, Grouped(number, ' '), Grouped(number, '-') })
            {
                var masked = Assert.Single(CreditCardDetector.Find(text));
                Assert.Equal(4, masked.Count(char.IsAsciiDigit));
                Assert.EndsWith("-" + number[^4..], masked, StringComparison.Ordinal);
                Assert.Equal(length - 4, masked.Count(c => c == '*'));
            }
        }
    }

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("5500000000000004", true)]
    [InlineData("378282246310005", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("4111a11111111111", false)]
    [InlineData("", false)]
    public void Luhn_check(string digits, bool valid) => Assert.Equal(valid, CreditCardDetector.IsLuhnValid(digits));

    // ---- MyNumberDetector ----

    // Worked example for the check digit of 1234567890_8, first eleven digits 1 2 3 4 5 6 7 8 9 0 1.
    // From the right: P1..P6 = 1 0 9 8 7 6 with Q = 2..7  -> 2 + 0 + 36 + 40 + 42 + 42 = 162
    //                 P7..P11 = 5 4 3 2 1 with Q = 2..6   -> 10 + 12 + 12 + 10 + 6   =  50
    // Sum 212; 212 mod 11 = 3; 3 > 1, so the check digit is 11 - 3 = 8: 123456789018 is valid.
    // And 1000000000 3_: only P1 = 3 (Q 2) and P11 = 1 (Q 6) count, sum 12, 12 mod 11 = 1 ≤ 1 -> check digit 0.
    [Theory]
    [InlineData("123456789018", true)]
    [InlineData("100000000030", true)]
    [InlineData("987654321093", true)]
    [InlineData("123456789017", false)]
    [InlineData("123456789019", false)]
    [InlineData("100000000031", false)]
    [InlineData("12345678901", false)]
    [InlineData("1234567890180", false)]
    [InlineData("12345678901a", false)]
    public void My_number_check_digit(string digits, bool valid) => Assert.Equal(valid, MyNumberDetector.IsValid(digits));

    [Theory]
    [InlineData("123456789018")]
    [InlineData("番号: 1234-5678-9018 です")]
    [InlineData("1234 5678 9018")]
    [InlineData("(123456789018)")]
    public void My_numbers_are_found_and_masked(string text) =>
        Assert.Equal(["****-****-9018"], MyNumberDetector.Find(text));

    [Fact]
    public void Full_width_my_number_is_found_after_normalising() =>
        Assert.Equal(["****-****-9018"], MyNumberDetector.Find(TextNormalizer.Normalize("マイナンバー：１２３４　５６７８　９０１８")));

    [Theory]
    [InlineData("123456789017")]
    [InlineData("1234-5678-9017")]
    [InlineData("0123456789018")] // part of a longer run
    [InlineData("1234567890181")]
    [InlineData("1234-5678-9018-7")] // the grouping goes on
    [InlineData("1234-5678 9018")] // mixed separators
    [InlineData("12345-678-9018")]
    public void Wrong_or_embedded_my_numbers_are_not_flagged(string text) => Assert.Empty(MyNumberDetector.Find(text));


    [Theory]
    [InlineData("送り状番号：4385-7439-0740", false)]
    [InlineData("tel: 4385 7439 0740", false)]
    [InlineData("ご注文番号 438574390740 の件", false)]
    [InlineData("マイナンバー（個人番号）：4385-7439-0740", true)]
    [InlineData("従業員の番号は 4385-7439-0740 です", true)]
    public void A_number_its_line_labels_as_something_else_is_not_a_my_number(string text, bool flagged) =>
        Assert.Equal(flagged, MyNumberDetector.Find(TextNormalizer.Normalize(text)).Count > 0);
    [Theory]
    [InlineData("4307388879343540")]
    [InlineData("4307 3888 7934 3540")]
    [InlineData("4307-3888-7934-3540")]
    public void A_card_number_is_not_a_my_number(string text)
    {
        // Both 430738887934 (first twelve) and 388879343540 (last twelve) have valid check digits,
        // so only the "no longer run" rule keeps this card out.
        Assert.True(MyNumberDetector.IsValid("430738887934"));
        Assert.True(MyNumberDetector.IsValid("388879343540"));
        Assert.Empty(MyNumberDetector.Find(text));
        Assert.Equal(["****-****-****-3540"], CreditCardDetector.Find(text));
    }

    [Fact]
    public void My_numbers_are_reported_per_occurrence_up_to_max()
    {
        const string text = "123456789018 と 1000-0000-0030 と 123456789018";
        Assert.Equal(["****-****-9018", "****-****-0030", "****-****-9018"], MyNumberDetector.Find(text));
        Assert.Single(MyNumberDetector.Find(text, max: 1));
    }

    // ---- DomainSimilarity ----

    [Theory]
    [InlineData("kitten", "sitting", 5, 3)]
    [InlineData("kitten", "sitting", 2, 3)]
    [InlineData("abc", "abc", 0, 0)]
    [InlineData("abc", "abd", 0, 1)]
    [InlineData("", "abc", 3, 3)]
    [InlineData("abc", "", 1, 2)]
    [InlineData("a", "abcdef", 2, 3)]
    [InlineData("example.com", "exmaple.com", 2, 2)]
    [InlineData("example.co.jp", "exampel.co.jp", 2, 2)]
    public void Bounded_distance(string a, string b, int max, int expected) =>
        Assert.Equal(expected, DomainSimilarity.BoundedDistance(a, b, max));

    [Fact]
    public void Bounded_distance_agrees_with_full_levenshtein()
    {
        var random = new Random(20240601);
        for (var n = 0; n < 2000; n++)
        {
            var a = RandomWord(random);
            var b = random.Next(3) == 0 ? Mutate(a, random) : RandomWord(random);
            var max = random.Next(0, 5);
            var full = Levenshtein(a, b);
            Assert.Equal(Math.Min(full, max + 1), DomainSimilarity.BoundedDistance(a, b, max));
        }
    }

    [Fact]
    public void Bounded_distance_handles_long_strings()
    {
        var a = new string('a', 300) + "b";
        var b = new string('a', 300) + "c";
        Assert.Equal(1, DomainSimilarity.BoundedDistance(a, b, 2));
        Assert.Equal(3, DomainSimilarity.BoundedDistance(a, new string('z', 301), 2));
    }

    [Theory]
    [InlineData("examp1e.co.jp", "example.co.jp")]
    [InlineData("EXAMPLE.CO.JP", "example.co.jp")]
    [InlineData("ｅｘａｍｐｌｅ．ｃｏｍ", "example.com")]
    [InlineData("rnicrosoft.com", "microsoft.com")]
    [InlineData("paypa1.com", "paypal.com")]
    [InlineData("vvikipedia.org", "wikipedia.org")]
    [InlineData("c1oud.com", "cloud.com")]
    [InlineData("ехample.com", "example.com")] // Cyrillic е and х
    [InlineData("xn--ample-ywe6i.com", "example.com")] // the same, as punycode
    [InlineData("ѕаmрlе.jp", "sample.jp")] // Cyrillic ѕ, а, р and е
    [InlineData("gοοgle.com", "google.com")] // Greek omicrons
    public void Skeletons_of_look_alikes_agree(string lookAlike, string original) =>
        Assert.Equal(DomainSimilarity.Skeleton(original), DomainSimilarity.Skeleton(lookAlike));

    [Theory]
    [InlineData("Examp1e.CO.jp", "example.co.jp")]
    [InlineData("rnicrosoft.com", "mlcrosoft.com")]
    [InlineData("c1ick.com", "dlck.com")]
    [InlineData("0ffice365.com", "offlcee6s.com")]
    [InlineData("εxample.com", "εxample.com")] // ε is not in the table: it is confusable with Latin ɛ, not e
    public void Skeleton_output(string domain, string skeleton) => Assert.Equal(skeleton, DomainSimilarity.Skeleton(domain));

    [Fact]
    public void Skeleton_keeps_invalid_punycode_as_written()
    {
        var skeleton = DomainSimilarity.Skeleton("xn--.com");
        Assert.Equal("xn--.com", skeleton);
    }

    [Theory]
    [InlineData("examp1e.co.jp", "example.co.jp", "homoglyph", 1)]
    [InlineData("rnicrosoft.com", "microsoft.com", "homoglyph", 2)]
    [InlineData("ехample.com", "example.com", "homoglyph", 2)]
    [InlineData("xn--ample-ywe6i.com", "example.com", "homoglyph", 2)]
    [InlineData("exampel.co.jp", "example.co.jp", "edit-distance", 2)]
    [InlineData("exmaple.com", "example.com", "edit-distance", 2)]
    [InlineData("example.co", "example.com", "edit-distance", 1)]
    [InlineData("Exampel.Co.Jp.", "example.co.jp", "edit-distance", 2)]
    [InlineData("mail.examp1e.co.jp", "example.co.jp", "homoglyph", 1)]
    [InlineData("smtp.mx.exmaple.com", "example.com", "edit-distance", 2)]
    public void Look_alikes_are_found(string domain, string resembles, string kind, int distance)
    {
        var known = new[] { "example.co.jp", "example.com", "microsoft.com", "partner.jp" };
        var hit = DomainSimilarity.Find(domain, known);
        Assert.Equal(new LookAlike(domain, resembles, kind, distance), hit);
        Assert.Equal(hit, new KnownDomainIndex(known).Find(domain));
    }

    [Theory]
    [InlineData("example.co.jp")]
    [InlineData("EXAMPLE.co.jp")]
    [InlineData("example.co.jp.")]
    [InlineData("ｅｘａｍｐｌｅ.co.jp")] // full-width spelling of the very same domain
    [InlineData("partner.jp")]
    [InlineData("mail.example.co.jp")]
    [InlineData("a.b.example.com")]
    [InlineData("unrelated.org")]
    [InlineData("mail.unrelated.co.jp")]
    [InlineData("")]
    public void Known_subdomains_and_unrelated_domains_are_not_look_alikes(string domain) =>
        Assert.Null(DomainSimilarity.Find(domain, ["example.co.jp", "example.com", "partner.jp"]));

    [Theory]
    [InlineData("ab.jp", "ac.jp")] // shorter than six characters
    [InlineData("a.co.jp", "b.co.jp")] // one edit, but the first label has one character
    [InlineData("ab.com", "xy.com")] // two edits in a two-character label
    [InlineData("example.com", "exa.mple.org")] // more than two edits
    public void Edit_distance_needs_room(string domain, string known) =>
        Assert.Null(DomainSimilarity.Find(domain, [known]));

    [Fact]
    public void Homoglyphs_count_even_for_short_names() =>
        Assert.Equal("homoglyph", DomainSimilarity.Find("a1.jp", ["al.jp"])?.Kind);

    [Fact]
    public void Homoglyph_wins_over_a_closer_edit()
    {
        var hit = DomainSimilarity.Find("rnicrosoft.com", ["microsoft.com", "rnicrosoft.co"]);
        Assert.Equal(new LookAlike("rnicrosoft.com", "microsoft.com", "homoglyph", 2), hit);
    }

    [Fact]
    public void Smallest_distance_then_ordinal_order_decides()
    {
        Assert.Equal("exampe.com", DomainSimilarity.Find("exampel.com", ["examplx.com", "exampe.com"])?.Resembles);
        Assert.Equal("exampla.com", DomainSimilarity.Find("examplz.com", ["exampld.com", "exampla.com"])?.Resembles);
        Assert.Equal("exampla.com", DomainSimilarity.Find("examplz.com", ["exampla.com", "exampld.com"])?.Resembles);
        // Known domains sharing a skeleton: the nearer one, then the ordinal first.
        Assert.Equal(
            new LookAlike("exarnple.com", "exarnp1e.com", "homoglyph", 1),
            DomainSimilarity.Find("exarnple.com", ["examp1e.com", "exarnp1e.com"]));
        Assert.Equal("examp1e.com", DomainSimilarity.Find("example.com", ["exampie.com", "examp1e.com"])?.Resembles);
        Assert.Equal("examp1e.com", DomainSimilarity.Find("example.com", ["examp1e.com", "exampie.com"])?.Resembles);
    }

    [Fact]
    public void Max_distance_zero_keeps_only_homoglyphs()
    {
        var index = new KnownDomainIndex(["example.com"]);
        Assert.Null(index.Find("exmaple.com", maxDistance: 0));
        Assert.Equal("homoglyph", index.Find("examp1e.com", maxDistance: 0)?.Kind);
        Assert.Equal("edit-distance", index.Find("exmaple.com", maxDistance: 2)?.Kind);
        Assert.Null(index.Find("exmaple.com", maxDistance: 1));
    }

    [Fact]
    public void Index_ignores_blanks_duplicates_and_spellings_of_the_same_domain()
    {
        var index = new KnownDomainIndex(["example.com", "EXAMPLE.COM", " example.com. ", "", "  ", "ｅｘａｍｐｌｅ.com"]);
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void Index_checks_many_known_domains()
    {
        var known = Enumerable.Range(0, 3000).Select(i => $"partner{i:D4}.co.jp").Append("example.co.jp").ToArray();
        var index = new KnownDomainIndex(known);
        Assert.Equal(3001, index.Count);
        Assert.Equal(new LookAlike("examp1e.co.jp", "example.co.jp", "homoglyph", 1), index.Find("examp1e.co.jp"));
        Assert.Null(index.Find("partner0012.co.jp"));
        // Many partnerNNNN are two edits away; only the one at one edit may win.
        Assert.Equal(new LookAlike("partner0012x.co.jp", "partner0012.co.jp", "edit-distance", 1), index.Find("partner0012x.co.jp"));
    }

    [Fact]
    public void Index_edit_distance_agrees_with_a_brute_force_scan()
    {
        // Letters without look-alikes, so every hit is an edit-distance one and the quick rejections are what is tested.
        const string letters = "abdefgh";
        var random = new Random(7);
        string Label() => new([.. Enumerable.Range(0, random.Next(1, 9)).Select(_ => letters[random.Next(letters.Length)])]);
        var known = Enumerable.Range(0, 400).Select(_ => Label() + ".jp").Distinct().ToArray();
        var index = new KnownDomainIndex(known);
        var (hits, misses) = (0, 0);
        for (var n = 0; n < 400; n++)
        {
            var probe = random.Next(2) == 0 ? Mutate(known[random.Next(known.Length)], random) : Label() + ".jp";
            if (!probe.Contains('.', StringComparison.Ordinal) || probe.StartsWith('.') || probe.EndsWith('.') || probe.Contains("..", StringComparison.Ordinal)
                || known.Any(k => probe == k || probe.EndsWith("." + k, StringComparison.Ordinal)))
            {
                continue;
            }
            var expected = known
                .Where(k => probe.Length >= 6 && k.Length >= 6)
                .Select(k => (Domain: k, Distance: Levenshtein(probe, k),
                    Limit: Math.Min(2, Math.Min(probe.IndexOf('.', StringComparison.Ordinal), k.IndexOf('.', StringComparison.Ordinal)) - 1)))
                .Where(x => x.Distance >= 1 && x.Distance <= x.Limit)
                .OrderBy(x => x.Distance).ThenBy(x => x.Domain, StringComparer.Ordinal)
                .Select(x => new LookAlike(probe, x.Domain, "edit-distance", x.Distance))
                .FirstOrDefault();
            Assert.Equal(expected, index.Find(probe));
            hits += expected is null ? 0 : 1;
            misses += expected is null ? 1 : 0;
        }
        Assert.True(hits > 20 && misses > 20, $"the sample should hold both outcomes ({hits} hits, {misses} misses)");
    }

    // ---- HonorificCheck ----

    [Fact]
    public void A_bare_name_in_the_greeting_is_reported_once()
    {
        var missing = HonorificCheck.Find("山田 太郎\n\nお世話になっております。山田です。", ["山田 太郎"]);
        Assert.Equal([new MissingHonorific("山田 太郎", "山田 太郎")], missing);
    }

    [Theory]
    [InlineData("山田様\n")]
    [InlineData("山田　太郎　様\nお世話になっております。")]
    [InlineData("山田太郎様")]
    [InlineData("山田 太郎 殿")]
    [InlineData("山田さま")]
    [InlineData("ﾔﾏﾀﾞ ｻﾏ")]
    [InlineData("山田先生")]
    [InlineData("太郎くん")]
    [InlineData("太郎君")]
    [InlineData("山田さん、こんにちは")]
    [InlineData("山田部長\nお世話になっております。")] // a job title addresses the person too
    [InlineData("株式会社サンプル\n山田社長")]
    [InlineData("山田 太郎\n山田様")] // honoured anywhere in the block is enough
    [InlineData("お世話になっております。\n\n本文")] // not named at all
    [InlineData("1\n2\n3\n4\n5\n山田 太郎")] // beyond the first five non-empty lines
    public void Honoured_or_absent_names_are_fine(string body) =>
        Assert.Empty(HonorificCheck.Find(body, ["山田 太郎", "ヤマダ"]));

    [Fact]
    public void Only_non_empty_lines_count_towards_the_block()
    {
        Assert.Single(HonorificCheck.Find("\n\n \n\u3000\n1\n2\n3\n4\n山田 太郎", ["山田 太郎"]));
        Assert.Empty(HonorificCheck.Find("1\n2\n山田 太郎", ["山田 太郎"], firstLines: 2));
        Assert.Empty(HonorificCheck.Find("山田 太郎", ["山田 太郎"], firstLines: 0));
    }

    [Theory]
    [InlineData("株式会社サンプル 御中", "株式会社サンプル")]
    [InlineData("株式会社サンプル 営業部 御中", "株式会社サンプル 営業部")]
    [InlineData("株式会社サンプル\n営業部 各位", "株式会社サンプル 営業部")]
    [InlineData("ＡＢＣ商事 御中", "ABC商事")]
    public void Organisations_with_onchu_or_kakui_are_fine(string body, string name) =>
        Assert.Empty(HonorificCheck.Find(body, [name]));

    [Theory]
    [InlineData("株式会社サンプル\n営業部\n鈴木 一郎 様\n\nいつもお世話になっております。", "株式会社サンプル")]
    [InlineData("株式会社サンプル 営業部\n鈴木様、\nお世話になっております。", "株式会社サンプル 営業部")]
    [InlineData("（株）サンプル\n経理課 田中さん", "（株）サンプル")]
    [InlineData("サンプル商事 営業部\n鈴木 一郎 様", "サンプル商事 営業部")]
    public void An_organisation_line_above_an_addressed_person_needs_no_honorific(string body, string name) =>
        Assert.Empty(HonorificCheck.Find(body, [name, "鈴木 一郎"]));

    [Fact]
    public void An_organisation_alone_still_needs_its_onchu_and_a_person_never_passes_as_one()
    {
        Assert.Single(HonorificCheck.Find("株式会社サンプル\n\nいつもお世話になっております。", ["株式会社サンプル"]));
        // 山田 is a person: another recipient's 様 does not excuse it.
        Assert.Equal(["山田 太郎"], HonorificCheck.Find("山田 太郎\n佐藤様\n", ["山田 太郎", "佐藤 花子"]).Select(m => m.Name));
    }

    [Fact]
    public void The_reported_line_is_the_trimmed_original()
    {
        var missing = HonorificCheck.Find("\u3000 株式会社サンプル　営業部\r\n\r\nいつもお世話になっております。", ["株式会社サンプル 営業部"]);
        Assert.Equal([new MissingHonorific("株式会社サンプル 営業部", "株式会社サンプル　営業部")], missing);
    }

    [Fact]
    public void Only_the_unhonoured_recipient_is_reported()
    {
        var missing = HonorificCheck.Find("山田様\n佐藤 花子\n", ["山田 太郎", "佐藤 花子", "佐藤 花子", "鈴木 一郎"]);
        Assert.Equal([new MissingHonorific("佐藤 花子", "佐藤 花子")], missing);
    }

    [Theory]
    [InlineData("John Smith")]
    [InlineData("Ｊｏｈｎ Ｓｍｉｔｈ")]
    [InlineData("taro.yamada@example.co.jp")]
    [InlineData("")]
    [InlineData("   ")]
    public void Latin_names_addresses_and_blanks_are_ignored(string name) =>
        Assert.Empty(HonorificCheck.Find("John Smith\ntaro.yamada@example.co.jp\nJohn", [name]));

    [Fact]
    public void Ascii_parts_of_a_japanese_name_are_not_candidates() =>
        Assert.Empty(HonorificCheck.Find("Sales team,\nいつもお世話になっております。", ["株式会社サンプル Sales"]));

    // ---- helpers ----

    private static string LuhnComplete(string payload)
    {
        for (var d = '0'; d <= '9'; d++)
        {
            var candidate = payload + d;
            if (CreditCardDetector.IsLuhnValid(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("unreachable: one check digit always fits");
    }

    /// <summary>Groups of four as printed, a short remainder joining the last group (4-4-5, 4-4-4-6 ...).</summary>
    private static string Grouped(string digits, char separator)
    {
        var groups = digits.Chunk(4).Select(chunk => new string(chunk)).ToList();
        if (groups[^1].Length < 3)
        {
            groups[^2] += groups[^1];
            groups.RemoveAt(groups.Count - 1);
        }
        return string.Join(separator, groups);
    }

    private static string RandomWord(Random random)
    {
        var chars = new char[random.Next(0, 12)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)('a' + random.Next(4));
        }
        return new string(chars);
    }

    private static string Mutate(string word, Random random)
    {
        var chars = word.ToList();
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            var at = random.Next(chars.Count + 1);
            switch (random.Next(3))
            {
                case 0:
                    chars.Insert(at, (char)('a' + random.Next(4)));
                    break;
                case 1 when at < chars.Count:
                    chars.RemoveAt(at);
                    break;
                case 2 when at < chars.Count:
                    chars[at] = (char)('a' + random.Next(4));
                    break;
            }
        }
        return new string([.. chars]);
    }

    private static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }
        return d[a.Length, b.Length];
    }
}
