package testbed

import (
	"fmt"
	"math/rand/v2"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// language holds what Generate needs to write mail in one language.
type language struct {
	code      string
	words     []string // sentence material; Japanese uses phrases
	subjects  []string // "%d" is replaced by a number
	prefixes  []string // reply prefixes, "Re: " first
	greetings []string // "%s" is the recipient's name
	oneLiners []string
	people    []*person
}

type person struct {
	name, first, email, org, mailer string
	tz                              int // hours east of UTC in winter
	dst                             bool
}

func (p *person) address() *mail.Address { return &mail.Address{Name: p.name, Address: p.email} }

func (p *person) domain() string {
	_, d, _ := strings.Cut(p.email, "@")
	return d
}

func (p *person) signature() []string {
	if p.org == "" {
		return []string{p.name}
	}
	return []string{p.name, p.org}
}

func (p *person) mailerHeader() string {
	if strings.HasPrefix(p.mailer, "Mozilla") {
		return "User-Agent"
	}
	return "X-Mailer"
}

// zone is the sender's UTC offset at t; European summer time is
// approximated by the months April to October.
func (p *person) zone(t time.Time) *time.Location {
	off := p.tz
	if p.dst && t.Month() >= time.April && t.Month() <= time.October {
		off++
	}
	return time.FixedZone("", off*3600)
}

func pickLang(r *rand.Rand) *language {
	u := r.IntN(100)
	switch {
	case u < 35:
		return langEN
	case u < 65:
		return langNL
	case u < 85:
		return langDE
	default:
		return langJA
	}
}

func (l *language) subject(r *rand.Rand) string {
	s := l.subjects[r.IntN(len(l.subjects))]
	if strings.Contains(s, "%d") {
		s = fmt.Sprintf(s, 1000+r.IntN(9000))
	}
	return s
}

func (l *language) replyPrefix(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return l.prefixes[r.IntN(len(l.prefixes))]
	}
	return l.prefixes[0]
}

func (l *language) oneLiner(r *rand.Rand) string { return l.oneLiners[r.IntN(len(l.oneLiners))] }

// letter returns a greeting and a first paragraph.
func (l *language) letter(r *rand.Rand, to string) (string, []string) {
	g := fmt.Sprintf(l.greetings[r.IntN(len(l.greetings))], to)
	return g, []string{l.paragraph(r)}
}

func (l *language) paragraph(r *rand.Rand) string {
	var b strings.Builder
	sentences := 2 + r.IntN(5)
	for i := 0; i < sentences; i++ {
		if l.code == "ja" {
			n := 2 + r.IntN(3)
			for j := 0; j < n; j++ {
				b.WriteString(l.words[r.IntN(len(l.words))])
				if j < n-1 {
					b.WriteString("、")
				}
			}
			b.WriteString("。")
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		n := 6 + r.IntN(11)
		for j := 0; j < n; j++ {
			w := l.words[r.IntN(len(l.words))]
			if j == 0 {
				w = capitalize(w)
			} else {
				b.WriteByte(' ')
			}
			b.WriteString(w)
			if j == n/2 && r.IntN(3) == 0 {
				b.WriteByte(',')
			}
		}
		b.WriteString([]string{".", ".", ".", "?", "!"}[r.IntN(5)])
	}
	return b.String()
}

var langEN = &language{
	code: "en",
	words: strings.Fields(`the a and to of in for on with that this we you it is are will be can
		have not but as at from by about our your please thanks meeting project report budget
		schedule tomorrow next week Monday Friday review draft team client update deadline
		proposal contract invoice order delivery question answer office call agenda notes
		attached changes version final quick sure great think need want send check share
		plan lunch weekend holiday travel flight hotel booking price offer discount customer
		support account password server release issue fix test morning afternoon evening`),
	subjects: []string{"Meeting notes", "Quick question about the budget", "Invoice %d",
		"Weekend plans?", "Your order #%d has shipped", "🎉 Team lunch on Friday",
		"Action required: password expires soon", "Holiday photos 📷", "Draft proposal for review",
		"Agenda for Monday", "Re-scheduling our call", "Release %d checklist"},
	prefixes:  []string{"Re: ", "RE: ", "Re: Re: "},
	greetings: []string{"Hi %s,", "Hello %s,", "Dear %s,", "Hey %s!"},
	oneLiners: []string{"Thanks, sounds good!", "See you tomorrow.", "Sent from my phone. Will call later.", "👍"},
	people: []*person{
		{name: "Emily Clarke", first: "Emily", email: "emily.clarke@example.com", org: "Clarke & Partners", mailer: "Mozilla Thunderbird 128.5.0", dst: false},
		{name: "Noah O'Brien", first: "Noah", email: "noah@example.org", mailer: "Apple Mail (2.3774.600.62)", tz: -5, dst: true},
		{name: "Priya Raman", first: "Priya", email: "priya.raman@example.net", org: "Example Networks Ltd", mailer: "Microsoft Outlook 16.0"},
		{name: "Shop Example", first: "Shop", email: "no-reply@shop.example.com", org: "Shop Example Inc.", mailer: "MailSender 4.2"},
		{name: "Zoë Harper", first: "Zoë", email: "zoe.harper@example.com", mailer: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0", tz: 0, dst: true},
	},
}

var langNL = &language{
	code: "nl",
	words: strings.Fields(`de het een en van ik je dat niet is op te zijn met voor maar als er wat
		ook nog om bij aan hebben we morgen vergadering offerte factuur project planning
		afspraak week volgende graag even laten weten bedankt groet overleg klant levering
		prijs korting bestelling verjaardag oma fiets tuin huis verbouwing keuken badkamer
		zaterdag zondag vrijdag ochtend middag avond koffie taart zoëven één café financiële
		begroting overzicht wijziging afgesproken gezellig lekker weer regen zon trein station`),
	subjects: []string{"Vergadering donderdag", "Offerte %d – verbouwing keuken", "Verjaardag van oma 🎂",
		"Factuur %d van Energie Zuid", "Even bijpraten?", "Nieuwsbrief: de beste deals van deze week",
		"Afspraak tandarts verzet", "Notulen ALV en begroting €", "Café zaterdag?", "Financiële overzicht %d"},
	prefixes:  []string{"Re: ", "Antw: ", "RE: "},
	greetings: []string{"Hoi %s,", "Beste %s,", "Hallo %s,", "Lieve %s,"},
	oneLiners: []string{"Top, tot morgen!", "Prima, dank je wel.", "Verstuurd vanaf mijn telefoon.", "Ik bel je straks even. 📞"},
	people: []*person{
		{name: "Jan de Vries", first: "Jan", email: "jan.devries@voorbeeld.example", mailer: "Mozilla Thunderbird 115.16.0", tz: 1, dst: true},
		{name: "Sanne Bakker", first: "Sanne", email: "sanne@bakker.example", org: "Bakker Bouw B.V.", mailer: "Microsoft Outlook 16.0", tz: 1, dst: true},
		{name: "Zoë van den Berg", first: "Zoë", email: "zoe@vandenberg.example", mailer: "Apple Mail (2.3774.600.62)", tz: 1, dst: true},
		{name: "Sjaak Rüter", first: "Sjaak", email: "sjaak.ruter@voorbeeld.example", org: "Vereniging Eendracht", mailer: "Roundcube Webmail/1.6.9", tz: 1, dst: true},
		{name: "Energie Zuid", first: "Energie Zuid", email: "facturen@energiezuid.example", org: "Energie Zuid N.V.", mailer: "MailSender 4.2", tz: 1, dst: true},
	},
}

var langDE = &language{
	code: "de",
	words: strings.Fields(`der die das und nicht ich sie es mit für auf ist wir ein eine zu den von
		Termin Besprechung Angebot Rechnung Projekt Woche nächste bitte danke Grüße Übersicht
		Änderung Größe müssen können schön früh spät Frühstück Mittagessen Büro Kunde Lieferung
		Preis Rabatt Bestellung Geburtstag Wohnung Küche Straße München Köln Zürich morgen
		heute gestern Montag Dienstag Freitag Bahn Flug Urlaub Unterlagen Vertrag Entwurf`),
	subjects: []string{"Besprechung am Dienstag", "Angebot für die Küche – Änderung", "Grüße aus München",
		"Rechnung Nr. %d", "Übersicht der Änderungen", "Geburtstagsfeier 🎈", "Frühstück nächste Woche?",
		"Vertragsentwurf zur Prüfung", "Urlaub im März"},
	prefixes:  []string{"Re: ", "AW: ", "Antw: "},
	greetings: []string{"Hallo %s,", "Liebe %s,", "Guten Tag %s,", "Moin %s,"},
	oneLiners: []string{"Passt, bis morgen!", "Danke dir, schöne Grüße.", "Von meinem iPhone gesendet", "Klingt gut 👍"},
	people: []*person{
		{name: "Jürgen Müller", first: "Jürgen", email: "juergen.mueller@beispiel.example", org: "Müller & Söhne GmbH", mailer: "Microsoft Outlook 16.0", tz: 1, dst: true},
		{name: "Björn Weiß", first: "Björn", email: "bjoern@weiss.example", mailer: "Mozilla Thunderbird 128.5.0", tz: 1, dst: true},
		{name: "Anke Schröder", first: "Anke", email: "anke.schroeder@beispiel.example", mailer: "Apple Mail (2.3774.600.62)", tz: 1, dst: true},
		{name: "Stadtwerke Köln", first: "Stadtwerke", email: "service@stadtwerke.example", org: "Stadtwerke Köln AG", mailer: "MailSender 4.2", tz: 1, dst: true},
	},
}

var langJA = &language{
	code: "ja",
	words: []string{"お世話になっております", "会議の件ですが", "来週の予定について", "資料を添付いたします",
		"ご確認のほどよろしくお願いいたします", "明日の打ち合わせは", "十時からに変更になりました",
		"先日はありがとうございました", "見積書を送付します", "東京駅の近くで", "少し遅れます",
		"新しいプロジェクトの件", "お時間のある時に", "ご検討ください", "よろしくお願いします"},
	subjects: []string{"会議のお知らせ", "見積書の送付", "来週の打ち合わせについて", "【重要】パスワード変更のお願い",
		"先日のお礼", "🍣 歓迎会のご案内", "資料送付の件（第%d版）"},
	prefixes:  []string{"Re: ", "RE: "},
	greetings: []string{"%sさん", "%s様"},
	oneLiners: []string{"了解しました！", "ありがとうございます。", "明日よろしくお願いします🙏"},
	people: []*person{
		{name: "田中 花子", first: "花子", email: "hanako.tanaka@rei.example", org: "株式会社例", mailer: "Microsoft Outlook 16.0", tz: 9},
		{name: "佐藤 健", first: "健", email: "ken.sato@rei.example", mailer: "Mozilla Thunderbird 115.16.0", tz: 9},
		{name: "鈴木 一郎", first: "一郎", email: "ichiro@suzuki.example", org: "鈴木商事", mailer: "Apple Mail (2.3774.600.62)", tz: 9},
	},
}

// capitalize upper-cases the first letter.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
