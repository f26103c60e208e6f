package demo

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// The demo mail belongs to Molenaar Fietsen, a small bicycle maker in Utrecht. Sanne de Vries
// (purchasing and planning) reads demo@postbode.test over IMAP; the shop's info mailbox,
// pop@postbode.test, is read over POP3.

const popFolder = "" // letters for the POP3 maildrop

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

var (
	sanne   = person{"Sanne de Vries", IMAPUser}
	info    = person{"Molenaar Fietsen – Info", POP3User}
	joris   = person{"Joris Molenaar", "joris@postbode.test"}
	fleur   = person{"Fleur van den Berg", "fleur@postbode.test"}
	daan    = person{"Daan Bakker", "daan@postbode.test"}
	noor    = person{"Noor El Amrani", "noor@postbode.test"}
	team    = person{"Team Molenaar Fietsen", "team@postbode.test"}
	jurgen  = person{"Jürgen Müller", "j.mueller@schaefer-rahmenbau.test"}
	tanaka  = person{"田中 健", "k.tanaka@nakamura-parts.test"}
	gouda   = person{"Fietsonderdelen Groothandel Gouda", "bestellingen@fog-gouda.test"}
	fietsvk = person{"Fietsvak Nieuwsbrief", "nieuwsbrief@fietsvak.test"}
	snel    = person{"SnelPakket", "noreply@snelpakket.test"}
	welkom  = person{"Postbode", "welkom@postbode.test"}
	webshop = person{"Webshop Molenaar Fietsen", "webshop@postbode.test"}
)

func newsletterHeaders(list string) [][2]string {
	return [][2]string{
		{"List-Id", "Fietsvak Nieuwsbrief <" + list + ">"},
		{"List-Unsubscribe", "<https://fietsvak.test/afmelden?l=" + list + ">"},
		{"Precedence", "bulk"},
	}
}

// welcomeText explains the demo; it is the first message a user sees.
func welcomeText(every time.Duration) string {
	nl, en := spell(every)
	arrive := fmt.Sprintf("Elke %s komt er een nieuw bericht binnen in beide postvakken.", nl)
	arriveEN := fmt.Sprintf("A new message arrives in both mailboxes every %s.", en)
	if every <= 0 {
		arrive = "Er komen geen nieuwe berichten vanzelf binnen."
		arriveEN = "No new messages arrive by themselves."
	}
	return `Welkom bij Postbode!

Dit is een demonstratie. Alles wat je ziet draait op deze computer: een
IMAP-, een POP3- en een SMTP-server die alleen bestaan zolang de demo loopt.
Er gaat niets het internet op.

- "Demo IMAP" (` + IMAPUser + `) blijft verbonden en krijgt nieuwe post
  meteen te zien (IMAP IDLE).
- "Demo POP3" (` + POP3User + `) haalt elke minuut nieuwe post op.
- ` + arrive + `
- Stuur gerust een bericht naar ` + IMAPUser + ` of ` + POP3User + `:
  het komt echt aan. Post naar andere adressen wordt aangenomen en
  weggegooid.

Het tijdelijke profiel wordt opgeruimd als je Postbode sluit.

--

Welcome to Postbode!

This is a demonstration. Everything runs on this computer: IMAP, POP3 and
SMTP servers that only exist while the demo runs. Nothing goes out to the
internet. "Demo IMAP" stays connected and sees new mail at once; "Demo POP3"
checks every minute. ` + arriveEN + ` Send a message to ` + IMAPUser + `
or ` + POP3User + ` and it really arrives; mail to other addresses is
accepted and dropped.

Veel plezier,
Postbode
`
}

// spell says an interval in Dutch and English words ("30 seconden", "minute").
func spell(d time.Duration) (nl, en string) {
	switch {
	case d == time.Minute:
		return "minuut", "minute"
	case d%time.Minute == 0:
		n := int(d / time.Minute)
		return fmt.Sprintf("%d minuten", n), fmt.Sprintf("%d minutes", n)
	case d%time.Second == 0:
		n := int(d / time.Second)
		if n == 1 {
			return "seconde", "second"
		}
		return fmt.Sprintf("%d seconden", n), fmt.Sprintf("%d seconds", n)
	}
	return d.String(), d.String()
}

// seedLetters is the mail of both demo users, parents before replies.
func seedLetters(every time.Duration) []letter {
	return []letter{
		// --- Archive: older, all read ---------------------------------------------------------
		{key: "welkom-noor", folder: "Archive", from: joris, to: []person{team}, age: 33 * day,
			subject: "Welkom Noor!", text: `Hoi allemaal,

Vanaf maandag versterkt Noor El Amrani ons team. Noor neemt de administratie
over van Willem, die na twaalf jaar met pensioen gaat (zijn afscheid volgt
nog, Fleur is al aan het plannen).

Noor komt van een accountantskantoor in Amersfoort en weet dus meer van btw
dan wij allemaal bij elkaar. Maak het haar makkelijk: facturen voortaan naar
noor@postbode.test en niet meer in het bakje bij de koffieautomaat.

Groet,
Joris`},
		{key: "prijslijst", folder: "Archive", from: jurgen, to: []person{sanne}, age: 25 * day, lang: "de",
			subject: "Neue Preisliste Stahlrahmen ab Januar", text: `Sehr geehrte Frau de Vries,

anbei erhalten Sie unsere neue Preisliste für Stahlrahmen, gültig ab dem
1. Januar. Wegen der gestiegenen Stahlpreise erhöhen sich die Preise um
durchschnittlich 4,5 %. Bestellungen, die bis zum 15. Dezember bei uns
eingehen, berechnen wir noch zu den alten Konditionen.

Für Rückfragen stehe ich Ihnen gern zur Verfügung.

Mit freundlichen Grüßen
Jürgen Müller
Vertrieb · Schäfer Rahmenbau GmbH · Münster`,
			files: []file{{"Preisliste Schäfer Rahmenbau.pdf", "application/pdf", pdfDoc("Schäfer Rahmenbau GmbH – Preisliste Stahlrahmen", []string{
				"Gültig ab 1. Januar, Preise netto ab Werk Münster",
				"",
				"Stadtrahmen Cr-Mo, RH 49–61 .............. € 289,00",
				"Tourenrahmen Cr-Mo, RH 53–63 ............. € 329,00",
				"Rennrahmen Columbus Zona, nach Maß ....... € 545,00",
				"Lastenrahmen (Bakfiets), pulverbeschichtet € 612,00",
				"",
				"Lieferzeit: 3–4 Wochen. Zahlung: 30 Tage netto.",
			})}}},
		{key: "sleutels", folder: "Archive", from: daan, to: []person{sanne}, age: 20 * day,
			subject: "Sleutels werkplaats", text: `Hoi Sanne,

Ik ben vanaf morgen een week weg (Ardennen, eindelijk). Kun jij de sleutels
van de werkplaats en het hek van mij overnemen? Ze hangen in het kastje
naast de compressor, code weet je.

Mehmet opent 's ochtends, maar hij heeft geen sleutel van het hek.

Daan`},
		{key: "sleutels-re", folder: "Sent", from: sanne, to: []person{daan}, age: 20*day - 2*hour, parent: "sleutels",
			subject: "Re: Sleutels werkplaats", text: `Hoi Daan,

Geregeld, ik neem ze vanmiddag mee. Ik zorg dat Mehmet om half acht
binnen kan. Fijne vakantie en neem geen fiets mee, het is vakantie!

Sanne`},
		{key: "sleutels-re2", folder: "Archive", from: daan, to: []person{sanne}, age: 19*day + 20*hour, parent: "sleutels-re",
			subject: "Re: Sleutels werkplaats", text: `Top, dank je! Fiets gaat natuurlijk wel mee. ;-)

Daan`},
		{key: "verzekering", folder: "Archive", from: noor, to: []person{sanne}, cc: []person{joris}, age: 12 * day,
			subject: "Jaarcontract verzekering bedrijfspand verlengd", text: `Hoi Sanne,

Ter info: de opstal- en inventarisverzekering van het pand aan de
Kanaalweg is met een jaar verlengd. De premie gaat iets omhoog (€ 1.312 per
jaar), maar de voorraad fietsen in de showroom is nu tot € 150.000 gedekt
in plaats van € 100.000.

De polis staat in de gedeelde map onder Administratie > Verzekeringen.

Groetjes,
Noor`},
		{key: "notulen", folder: "Archive", from: joris, to: []person{team}, age: 15 * day,
			subject: "Notulen teamoverleg", text: `Hoi allemaal,

In de bijlage de notulen van het teamoverleg van maandag. Belangrijkste
punten: de nieuwe bakfiets gaat in productie, we stoppen met de verhuur
in de winter en de werkplaats krijgt een derde werkbank.

Aanvullingen graag voor vrijdag.

Joris`,
			files: []file{{"notulen-teamoverleg.txt", "text/plain; charset=UTF-8", []byte(notulen)}}},
		{key: "nieuwsbrief-oud", folder: "Archive", from: fietsvk, to: []person{sanne}, age: 16 * day,
			subject: "Fietsvak Nieuwsbrief: nieuwe normen voor bakfietsen", headers: newsletterHeaders("nb-411.fietsvak.test"),
			text: newsletterOldText, html: newsletterOldHTML},
		{key: "bezorgd", folder: "Archive", from: snel, to: []person{sanne}, age: 18 * day,
			subject: "Je pakket is bezorgd ✅", text: `Hallo Sanne,

Je pakket van Fietsonderdelen Groothandel Gouda is bezorgd.
Afgeleverd op: Kanaalweg 14, Utrecht
Getekend door: D. Bakker

Bekijk je zending: https://snelpakket.test/t/3SNP7741029

Met vriendelijke groet,
SnelPakket`, html: `<html><body style="font-family:Arial,sans-serif;color:#222">
<img src="https://img.snelpakket.test/logo.png" width="160" height="40" alt="SnelPakket">
<h2>Je pakket is bezorgd ✅</h2>
<p>Hallo Sanne,</p>
<p>Je pakket van <b>Fietsonderdelen Groothandel Gouda</b> is bezorgd op <b>Kanaalweg 14, Utrecht</b>.<br>
Getekend door: D. Bakker</p>
<p><a href="https://snelpakket.test/t/3SNP7741029">Bekijk je zending</a></p>
<img src="https://t.snelpakket.test/open.gif?m=3SNP7741029" width="1" height="1" alt="">
</body></html>`},

		// --- A purchase order, only in Sent --------------------------------------------------
		{key: "bestelling-gouda", folder: "Sent", from: sanne, to: []person{gouda}, age: 7*day + 3*hour,
			subject: "Bestelling kettingen en remblokken", text: `Goedemorgen,

Graag bestellen wij:

- 20× KMC X9 ketting, 116 schakels
- 40× paar remblokken Shimano B05S (resin)
- 10× kettingslot 8 mm, zwart
- 2× doos kabelbinders 200 mm

Levering graag aan Kanaalweg 14, 3526 KL Utrecht, bij voorkeur vóór
donderdag. Ons klantnummer is 40217.

Met vriendelijke groet,
Sanne de Vries
Inkoop & planning · Molenaar Fietsen
030 - 123 45 67`},

		// --- INBOX -------------------------------------------------------------------------
		{key: "werkbank", folder: "INBOX", from: daan, to: []person{sanne}, age: 8 * day,
			subject: "Werkbank 3 kapot – monteur komt donderdag", text: `Hoi Sanne,

De hydraulische montagestandaard van werkbank 3 zakt weer langzaam weg.
Ik heb de monteur van Unior gebeld, hij komt donderdag tussen 9 en 12.

Tot die tijd werken we met twee banken. Dat gaat, maar de reparaties
lopen een dag uit. Wil jij de klanten met een afspraak op woensdag even
laten weten dat hun fiets donderdagmiddag klaar is?

Daan`},
		{key: "tanaka-1", folder: "INBOX", from: tanaka, to: []person{sanne}, age: 6 * day, lang: "en",
			subject: "ハブ部品の納期について / Delivery of rear hubs NK-R200", text: `Dear Ms. de Vries,

いつもお世話になっております。
(Thank you, as always, for your business.)

We have received your order for 40 rear hubs, model NK-R200 (32H, black).
Production is scheduled for next week, and we can ship within ten working
days by sea freight.

Please let us know whether sea freight is acceptable, or whether you would
prefer air freight at an additional cost of ¥38,000.

Best regards,

田中 健 (Ken Tanaka)
Export Sales
Nakamura Parts Co., Ltd. · Osaka, Japan`},
		{key: "tanaka-2", folder: "Sent", from: sanne, to: []person{tanaka}, age: 5*day + 20*hour, lang: "en", parent: "tanaka-1",
			subject: "Re: ハブ部品の納期について / Delivery of rear hubs NK-R200", text: `Dear Mr. Tanaka,

Thank you for the quick confirmation. Sea freight is fine for 30 hubs,
but could you send the other 10 by air? We need them for a customer order
this month. We accept the extra cost.

Kind regards,
Sanne de Vries
Molenaar Fietsen, Utrecht`},
		{key: "tanaka-3", folder: "INBOX", from: tanaka, to: []person{sanne}, age: 4*day + 6*hour, lang: "en", parent: "tanaka-2",
			subject: "Re: ハブ部品の納期について / Delivery of rear hubs NK-R200", text: `Dear Ms. de Vries,

Of course. The 10 hubs will leave Osaka by air tomorrow; I will send the
tracking number as soon as I have it. Please find the packing list
attached.

よろしくお願いいたします。

田中 健 (Ken Tanaka)`,
			files: []file{{"packing-list-NK-24117.txt", "text/plain; charset=UTF-8", []byte(packingList)}}},
		{key: "cijfers", folder: "INBOX", from: fleur, to: []person{sanne}, cc: []person{joris}, age: 5*day + 3*hour,
			subject: "Cijfers webshop afgelopen weken", text: `Hoi Sanne,

Zoals beloofd de bestellingen via de webshop per week (zie de grafiek in
de bijlage). De piek in week 3 is de actie met de gratis fietstas; sindsdien
zitten we structureel hoger dan vorig jaar.

Wat opvalt: de Stadsfiets Lombok in maat 53 is bijna op. Kun jij kijken of
we nog frames hebben of moeten bijbestellen?

Groetjes,
Fleur`,
			files: []file{{"bestellingen-per-week.png", "image/png", barChart([]int{31, 28, 52, 41, 39, 44, 47, 38})}}},
		{key: "muller-1", folder: "INBOX", from: jurgen, to: []person{sanne}, age: 4 * day, lang: "de",
			subject: "Lieferverzögerung Rahmen RH 57 (Auftrag AB-1147)", text: `Sehr geehrte Frau de Vries,

leider müssen wir Ihnen mitteilen, dass sich die Lieferung des
Stahlrahmens in Rahmenhöhe 57 cm (Auftrag AB-1147) um etwa eine Woche
verzögert. Bei unserem Pulverbeschichter ist eine Anlage ausgefallen.

Wir bitten um Entschuldigung. Als kleinen Ausgleich übernehmen wir die
Versandkosten.

Mit freundlichen Grüßen
Jürgen Müller
Vertrieb · Schäfer Rahmenbau GmbH · Münster`},
		{key: "muller-2", folder: "Sent", from: sanne, to: []person{jurgen}, age: 3*day + 23*hour, lang: "de", parent: "muller-1",
			subject: "Re: Lieferverzögerung Rahmen RH 57 (Auftrag AB-1147)", text: `Sehr geehrter Herr Müller,

vielen Dank für die schnelle Nachricht. Können Sie uns ein verbindliches
Lieferdatum nennen? Der Kunde wartet bereits auf sein Rad.

Falls es hilft: Die Pulverbeschichtung können wir notfalls auch hier in
Utrecht machen lassen. Dann bräuchten wir den Rahmen roh, so schnell wie
möglich.

Mit freundlichen Grüßen
Sanne de Vries
Molenaar Fietsen`},
		{key: "planning-1", folder: "INBOX", from: daan, to: []person{sanne}, cc: []person{joris}, age: 3*day + 2*hour,
			subject: "Planning werkplaats volgende week", text: `Hoi Sanne,

Hierbij de planning voor volgende week. We hebben drie bakfietsen voor de
kinderopvang in Houten en twee racefietsen op maat voor klanten uit
Amersfoort.

Maandag–dinsdag: frames Houten voorbereiden en naar de spuiter
Woensdag:        racefiets Van Leeuwen (wacht nog op het Müller-frame!)
Donderdag:       montage bakfietsen
Vrijdag:         eindcontrole en aflevering

Kun jij checken of de Schwalbe-banden op tijd binnen zijn? Anders schuift
alles een dag op.

Groet,
Daan`},
		{key: "planning-2", folder: "Sent", from: sanne, to: []person{daan}, cc: []person{joris}, age: 3 * day, parent: "planning-1",
			subject: "Re: Planning werkplaats volgende week", text: `Hoi Daan,

De banden komen dinsdagochtend, ik heb het net nagevraagd. Het
Müller-frame is nog onzeker: Jürgen meldt een week vertraging door een
storing bij de poedercoater. Ik hou je op de hoogte.

Sanne`},
		{key: "planning-3", folder: "INBOX", from: joris, to: []person{sanne, daan}, age: 2*day + 20*hour, parent: "planning-2",
			subject: "Re: Planning werkplaats volgende week", text: `Goed plan. Als het frame niet op tijd is, bel ik Van Leeuwen zelf even.
Liever een eerlijk verhaal dan een week stilte.

Joris`},
		{key: "borrel-1", folder: "INBOX", from: fleur, to: []person{team}, age: 2*day + 5*hour,
			subject: "🎉 Borrel vrijdag: 10 jaar Molenaar Fietsen!", text: `Hoi allemaal!

Vrijdag is het precies tien jaar geleden dat Joris in een schuurtje in
Lombok zijn eerste fiets in elkaar zette. Dat vieren we!

Vanaf 16.30 uur in de werkplaats, met bitterballen 🍻 en een taart van
bakkerij De Vlijt. Partners en kinderen zijn welkom.

Laat je even weten of je komt? Dan weet ik hoeveel taart.

Fleur`},
		{key: "borrel-2", folder: "INBOX", from: noor, to: []person{team}, age: 2*day + 2*hour, parent: "borrel-1",
			subject: "Re: 🎉 Borrel vrijdag: 10 jaar Molenaar Fietsen!", text: `Ik kom! Zal ik mijn sjoelbak meenemen? 😄

Noor`},
		{key: "borrel-3", folder: "Sent", from: sanne, to: []person{team}, age: 2*day + 1*hour, parent: "borrel-2",
			subject: "Re: 🎉 Borrel vrijdag: 10 jaar Molenaar Fietsen!", text: `Gezellig, ik ben er ook. Zal ik bloemen regelen voor Joris?

Sanne`},
		{key: "muller-3", folder: "INBOX", from: jurgen, to: []person{sanne}, age: 2*day + 1*hour, lang: "de", parent: "muller-2", flagged: true,
			subject: "Re: Lieferverzögerung Rahmen RH 57 (Auftrag AB-1147)", text: `Sehr geehrte Frau de Vries,

gute Nachrichten: Der Rahmen wurde heute beschichtet und geht am
Donnerstag in den Versand. Zustellung am Freitag bis 12 Uhr.

Anbei die aktualisierte Auftragsbestätigung.

Mit freundlichen Grüßen
Jürgen Müller`,
			files: []file{{"Auftragsbestätigung AB-1147.pdf", "application/pdf", pdfDoc("Auftragsbestätigung AB-1147", []string{
				"Kunde: Molenaar Fietsen, Kanaalweg 14, 3526 KL Utrecht, Niederlande",
				"",
				"1× Rennrahmen Columbus Zona, RH 57, Farbe: British Racing Green",
				"   Einzelpreis: € 545,00",
				"Versandkosten: € 0,00 (Kulanz)",
				"",
				"Neuer Liefertermin: Freitag, Zustellung bis 12:00 Uhr",
				"Zahlungsbedingungen: 30 Tage netto",
			})}}},
		{key: "borrel-4", folder: "INBOX", from: joris, to: []person{team}, age: 1*day + 22*hour, parent: "borrel-3",
			subject: "Re: 🎉 Borrel vrijdag: 10 jaar Molenaar Fietsen!", text: `Wat leuk, Fleur, dank je voor het organiseren. Drankjes zijn van de zaak. 🥂

En Sanne: geen bloemen, doe maar een nieuwe bel voor mijn oude Gazelle.

Joris`},
		{key: "spam", folder: "Junk", from: person{"Prijzen Team", "winnaar@gratis-prijzen.test"}, to: []person{sanne}, age: 1*day + 12*hour, unread: true,
			subject: "GEFELICITEERD!!! U heeft een iPhone gewonnen", text: `Beste klant,

U bent geselecteerd als winnaar van onze maandelijkse actie!!!
Klik binnen 24 uur op de link hieronder om uw prijs te claimen:

https://gratis-prijzen.test/claim?id=88213

Let op: betaal alleen de verzendkosten van € 1,95.`,
			html: `<html><body style="background:#ff0"><h1 style="color:red">GEFELICITEERD!!!</h1>
<img src="https://gratis-prijzen.test/img/iphone.jpg" width="300">
<p><a href="https://gratis-prijzen.test/claim?id=88213">KLIK HIER OM UW PRIJS TE CLAIMEN</a></p></body></html>`},
		{key: "nieuwsbrief", folder: "INBOX", from: fietsvk, to: []person{sanne}, age: 1*day + 9*hour, unread: true,
			subject: "Fietsvak Nieuwsbrief: e-bikes, btw en de drukste maand van het jaar", headers: newsletterHeaders("nb-414.fietsvak.test"),
			text: newsletterText, html: newsletterHTML},
		{key: "planning-4", folder: "INBOX", from: daan, to: []person{sanne}, cc: []person{joris}, age: 1*day + 3*hour, parent: "planning-3", unread: true,
			subject: "Re: Planning werkplaats volgende week", text: `Update: bakfiets 2 heeft een haarscheurtje in de las bij de bak. Zo lever
ik hem niet af. Ik las het opnieuw, maar dan wordt het zaterdag. Kan er een
dag bij, of bel jij Houten?

Daan`},
		{key: "facturen", folder: "INBOX", from: noor, to: []person{sanne}, age: 1*day + 5*hour, unread: true, flagged: true,
			subject: "Facturen ter goedkeuring (leveranciers)", text: `Hoi Sanne,

Zou jij deze inkoopfacturen willen goedkeuren vóór donderdag? Dan neem ik
ze nog mee in de betaalrun van deze week.

- Schäfer Rahmenbau GmbH          € 2.340,00
- Nakamura Parts Co., Ltd.        ¥ 412.000 (± € 2.510)
- Fietsonderdelen Groothandel     €   876,45

Het overzicht zit in de bijlage. Een "ok" per mail is genoeg.

Groetjes,
Noor`,
			files: []file{{"Overzicht inkoopfacturen.pdf", "application/pdf", pdfDoc("Molenaar Fietsen – inkoopfacturen ter goedkeuring", []string{
				"Schäfer Rahmenbau GmbH       2025-1147    € 2.340,00",
				"Nakamura Parts Co., Ltd.     NK-24117     € 2.510,12",
				"Fietsonderdelen Groothandel  FOG-88341    €   876,45",
				"",
				"Totaal                                    € 5.726,57",
				"Betaalrun: donderdag",
			})}}},
		{key: "pakket", folder: "INBOX", from: snel, to: []person{sanne}, age: 12 * hour, unread: true,
			subject: "Je pakket is onderweg 📦", text: `Hallo Sanne,

Goed nieuws: je pakket van Schäfer Rahmenbau GmbH is onderweg.
Verwachte bezorging: morgen tussen 09:00 en 12:00.

Volg je zending: https://snelpakket.test/t/3SNP7790311

Met vriendelijke groet,
SnelPakket`, html: `<html><body style="font-family:Arial,sans-serif;color:#222;max-width:600px">
<img src="https://img.snelpakket.test/logo.png" width="160" height="40" alt="SnelPakket">
<h2>Je pakket is onderweg 📦</h2>
<p>Hallo Sanne,</p>
<p>Goed nieuws: je pakket van <b>Schäfer Rahmenbau GmbH</b> is onderweg.</p>
<table style="border:1px solid #ddd;padding:8px"><tr><td>Verwachte bezorging</td><td><b>morgen, 09:00–12:00</b></td></tr>
<tr><td>Zendingnummer</td><td>3SNP7790311</td></tr></table>
<p><img src="https://img.snelpakket.test/map/3SNP7790311.png" width="480" height="200" alt="Kaart met de route van je pakket"></p>
<p><a href="https://snelpakket.test/t/3SNP7790311" style="background:#e30;color:#fff;padding:8px 16px;text-decoration:none">Volg je zending</a></p>
<img src="https://t.snelpakket.test/open.gif?m=3SNP7790311" width="1" height="1" alt="">
</body></html>`},
		{key: "houten", folder: "INBOX", from: joris, to: []person{sanne}, age: 6 * hour, unread: true, flagged: true,
			subject: "Offerte gemeente Houten – graag vóór vrijdag", text: `Sanne,

De gemeente Houten wil de offerte voor 12 bakfietsen (voor de
kinderopvang) uiterlijk vrijdag hebben. Kun jij de inkoopprijzen van de
bakken, de frames en de Nakamura-naven in het sjabloon zetten? Dan doe ik
de rest.

Let op: ze willen ook een onderhoudscontract voor drie jaar. Reken met
twee beurten per jaar.

Dank!
Joris`},
		{key: "vakantie-concept", folder: "Drafts", from: sanne, to: []person{team}, age: 4 * hour, draft: true,
			subject: "Vakantieplanning december", text: `Hoi allemaal,

Tussen kerst en oud en nieuw is de winkel dicht, de werkplaats draait op
halve kracht. Willen jullie voor het einde van de maand jullie
vakantiedagen doorgeven?

- Daan: 
- Fleur: 
- Noor: `},
		{key: "webtekst", folder: "INBOX", from: fleur, to: []person{sanne}, age: 3 * hour, unread: true,
			subject: "Kun je even meelezen? Tekst nieuwe bakfiets-pagina", text: `Hoi Sanne,

Wil jij even meelezen? Vooral of de technische gegevens kloppen.

"De Molenaar Bakfiets is gebouwd voor de Utrechtse binnenstad: smal genoeg
voor de Oudegracht, sterk genoeg voor drie kinderen en de boodschappen.
Stalen frame uit Münster, naaf uit Osaka, in elkaar gezet aan de
Kanaalweg."

- Frame: Cr-Mo staal, poedercoating in 6 kleuren
- Versnellingen: Nakamura 8-versnellingsnaaf
- Laadvermogen: 100 kg in de bak
- Gewicht: 38 kg

Groetjes,
Fleur`},
		{key: "welkom", folder: "INBOX", from: welkom, to: []person{sanne}, age: 5 * time.Minute, unread: true,
			subject: "Welkom bij Postbode – dit is een demo 👋", text: welcomeText(every)},

		// --- The shop's info mailbox (POP3) ---------------------------------------------------
		{key: "review", folder: popFolder, from: person{"FietsReviews", "noreply@fietsreviews.test"}, to: []person{info}, age: 6 * day,
			subject: "⭐⭐⭐⭐⭐ Nieuwe review: \"Beste fietsenmaker van Utrecht\"", text: `Er is een nieuwe review geplaatst voor Molenaar Fietsen.

★★★★★  "Beste fietsenmaker van Utrecht"
door Annelies K.

"Mijn oude opoefiets kwam terug alsof hij nieuw was. Eerlijk advies, ze
zeiden zelfs dat een nieuwe fiets niet nodig was. Aanrader!"

Reageer op deze review: https://fietsreviews.test/r/molenaar-fietsen/99812`},
		{key: "yuki", folder: popFolder, from: person{"佐藤 由紀", "yuki.sato@mail.test"}, to: []person{info}, age: 5 * day, lang: "en",
			subject: "自転車レンタルについて / Question about bike rental", text: `Hello,

こんにちは。We are a family of four from Kyoto visiting Utrecht next month.
Do you rent bicycles for two adults and two children (8 and 11 years old)?
We would like to rent them for five days.

Thank you very much.
佐藤 由紀 (Yuki Sato)`},
		{key: "bestelling-10409", folder: popFolder, from: webshop, to: []person{info}, age: 4 * day,
			subject: "Nieuwe bestelling #10409 – 2× fietstas Ortlieb Back-Roller", text: orderText(10409, "Tom Verbeek", "Utrecht", "2× fietstas Ortlieb Back-Roller Classic (zwart)", "€ 149,90")},
		{key: "kita", folder: popFolder, from: person{"Klaus Becker", "k.becker@kita-sonnenschein.test"}, to: []person{info}, age: 3 * day, lang: "de",
			subject: "Anfrage: Lastenrad für unsere Kita", text: `Guten Tag,

wir sind eine Kita in Emmerich am Rhein und suchen ein Lastenrad, mit dem
wir bis zu vier Kinder transportieren können. Bei einem Besuch in Utrecht
haben wir Ihre Bakfietsen gesehen.

Liefern Sie auch nach Deutschland? Und gibt es eine Möglichkeit, ein Rad
vorher Probe zu fahren?

Mit freundlichen Grüßen
Klaus Becker
Kita Sonnenschein e. V.`},
		{key: "tikje", folder: popFolder, from: person{"Pieter de Graaf", "pieter.degraaf@mail.test"}, to: []person{info}, age: 2*day + 6*hour,
			subject: "Mijn fiets maakt een raar geluid...", text: `Hallo,

Sinds een week maakt mijn fiets (bij jullie gekocht, Stadsfiets Lombok,
2021) een tikkend geluid. Het gaat zo:

...tik...tik...tik, bij elke omwenteling van de pedalen
...en als ik stoppedaleer is het weg
...en bergop is het erger

Kan ik langskomen? Ik kan dinsdag of donderdag na 17.00 uur.

Groet,
Pieter de Graaf
.
(ps: de punt hierboven is mijn vaste afsluiter, vraag niet waarom)`},
		{key: "levertijd", folder: popFolder, from: person{"Marieke Hoekstra", "m.hoekstra@mail.test"}, to: []person{info}, age: 2 * day,
			subject: "Vraag over levertijd bakfiets", text: `Goedemiddag,

Wij twijfelen tussen jullie bakfiets en een elektrische van een ander
merk. Wat is op dit moment de levertijd van de Molenaar Bakfiets, en kan
er later nog een motor in?

Ons derde kindje komt in maart, dus we zouden hem graag in februari
hebben. 🙂

Vriendelijke groet,
Marieke Hoekstra`},
		{key: "bestelling-10412", folder: popFolder, from: webshop, to: []person{info}, age: 1*day + 4*hour,
			subject: "Nieuwe bestelling #10412 – Stadsfiets Lombok, maat 53", text: orderText(10412, "Lotte Smits", "Zeist", "1× Stadsfiets Lombok, maat 53, kleur: mosgroen", "€ 1.049,00")},
		{key: "retour", folder: popFolder, from: person{"Sophie Janssens", "sophie.janssens@mail.test"}, to: []person{info}, age: 8 * hour,
			subject: "Retour: helm in verkeerde maat", text: `Hoi,

Ik heb vorige week een helm besteld (bestelling #10398), maar maat M is
te klein. Kan ik hem ruilen voor een L? Hij is niet gedragen en zit nog
in de doos.

Groetjes,
Sophie`},
	}
}

func orderText(n int, name, city, item, total string) string {
	return fmt.Sprintf(`Er is een nieuwe bestelling geplaatst in de webshop.

Bestelnummer:  #%d
Klant:         %s, %s
Artikelen:     %s
Totaal:        %s (betaald met iDEAL)
Verzending:    ophalen in de winkel

Bekijk de bestelling: https://webshop.postbode.test/admin/orders/%d
`, n, name, city, item, total, n)
}

const notulen = `Notulen teamoverleg Molenaar Fietsen
Aanwezig: Joris, Sanne, Fleur, Daan, Noor, Mehmet

1. Nieuwe bakfiets
   - Prototype goedgekeurd. Productie start in de eerste week van de maand.
   - Frames bij Schäfer (Münster), naven bij Nakamura (Osaka).
   - Actie Sanne: levertijden en prijzen vastleggen.

2. Verhuur
   - In de wintermaanden (dec–feb) stoppen we met verhuur.
   - De zes huurfietsen krijgen een grote beurt.

3. Werkplaats
   - Een derde werkbank komt naast de compressor.
   - Actie Daan: offerte Unior opvragen.

4. Rondvraag
   - Fleur: 10 jaar Molenaar Fietsen, borrel in de werkplaats.
   - Noor: declaraties voortaan via het formulier in de gedeelde map.
`

const packingList = `NAKAMURA PARTS CO., LTD. — PACKING LIST
Invoice: NK-24117          Consignee: Molenaar Fietsen, Utrecht, NL
Shipment: AIR (partial)    Incoterms: DAP

Carton  Item                         Qty   Net kg   Gross kg
1       NK-R200 rear hub 32H black     5     2.10      2.60
2       NK-R200 rear hub 32H black     5     2.10      2.60
                                      --     ----      ----
Total                                 10     4.20      5.20

Remaining 30 pcs: SEA freight, separate packing list.
`

const newsletterText = `FIETSVAK NIEUWSBRIEF

E-bikes halen gewone fietsen in
Voor het eerst zijn er in één jaar meer e-bikes dan gewone fietsen
verkocht. Wat betekent dat voor de werkplaats?
Lees verder: https://fietsvak.test/artikel/e-bikes-halen-in

Btw-tarief reparaties: wat verandert er?
Het verlaagde tarief voor fietsreparaties blijft, maar de voorwaarden
worden strenger. Onze belastingadviseur legt het uit.
Lees verder: https://fietsvak.test/artikel/btw-reparaties

De drukste maand van het jaar
Vijf tips om de voorjaarsdrukte in de werkplaats aan te kunnen.
Lees verder: https://fietsvak.test/artikel/voorjaarsdrukte

Je ontvangt deze nieuwsbrief omdat je lid bent van Fietsvak.
Afmelden: https://fietsvak.test/afmelden
`

const newsletterHTML = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Fietsvak Nieuwsbrief</title>
<style>body{font-family:Georgia,serif;background:#f3efe7;margin:0}.wrap{max-width:600px;margin:auto;background:#fff}
h1{color:#1d4d2b}a.btn{background:#1d4d2b;color:#fff;padding:6px 12px;text-decoration:none}</style></head>
<body><div class="wrap">
<img src="https://cdn.fietsvak.test/nieuwsbrief/414/header.jpg" width="600" height="160" alt="Fietsvak Nieuwsbrief">
<h1>E-bikes halen gewone fietsen in</h1>
<img src="https://cdn.fietsvak.test/nieuwsbrief/414/ebikes.jpg" width="600" height="300" alt="Een rij e-bikes voor een winkel">
<p>Voor het eerst zijn er in één jaar meer e-bikes dan gewone fietsen verkocht.
Wat betekent dat voor de werkplaats?</p>
<p><a class="btn" href="https://fietsvak.test/artikel/e-bikes-halen-in">Lees verder</a></p>
<h2>Btw-tarief reparaties: wat verandert er?</h2>
<p>Het verlaagde tarief voor fietsreparaties blijft, maar de voorwaarden worden strenger.
Onze belastingadviseur legt het uit.</p>
<p><a href="https://fietsvak.test/artikel/btw-reparaties">Lees verder &rarr;</a></p>
<h2>De drukste maand van het jaar</h2>
<table><tr><td><img src="https://cdn.fietsvak.test/nieuwsbrief/414/werkplaats.jpg" width="200" height="140" alt=""></td>
<td>Vijf tips om de voorjaarsdrukte in de werkplaats aan te kunnen.
<a href="https://fietsvak.test/artikel/voorjaarsdrukte">Lees verder</a></td></tr></table>
<hr>
<p style="font-size:11px;color:#777">Je ontvangt deze nieuwsbrief omdat je lid bent van Fietsvak.
<a href="https://fietsvak.test/afmelden">Afmelden</a></p>
<img src="https://t.fietsvak.test/open.gif?n=414&amp;u=8c1f2e" width="1" height="1" alt="">
</div></body></html>`

const newsletterOldText = `FIETSVAK NIEUWSBRIEF

Nieuwe normen voor bakfietsen
Vanaf volgend jaar gelden strengere eisen voor de remmen en de
bevestiging van kinderzitjes in bakfietsen. Een overzicht.
Lees verder: https://fietsvak.test/artikel/normen-bakfietsen

Afmelden: https://fietsvak.test/afmelden
`

const newsletterOldHTML = `<!DOCTYPE html>
<html><head><meta charset="utf-8"></head>
<body style="font-family:Georgia,serif;background:#f3efe7">
<div style="max-width:600px;margin:auto;background:#fff">
<img src="https://cdn.fietsvak.test/nieuwsbrief/411/header.jpg" width="600" height="160" alt="Fietsvak Nieuwsbrief">
<h1 style="color:#1d4d2b">Nieuwe normen voor bakfietsen</h1>
<p>Vanaf volgend jaar gelden strengere eisen voor de remmen en de bevestiging van kinderzitjes in bakfietsen.</p>
<p><a href="https://fietsvak.test/artikel/normen-bakfietsen">Lees het overzicht</a></p>
<p style="font-size:11px;color:#777"><a href="https://fietsvak.test/afmelden">Afmelden</a></p>
<img src="https://t.fietsvak.test/open.gif?n=411&amp;u=8c1f2e" width="1" height="1" alt="">
</div></body></html>`

// arrival is a message the ticker delivers.
type arrival struct {
	from    person
	subject string
	text    string
}

var imapArrivals = []arrival{
	{daan, "Schwalbe-banden binnen", "Hoi Sanne,\n\nDe banden zijn net binnengekomen, 24 stuks. Ik zet ze in het magazijn, rek B.\n\nDaan"},
	{fleur, "Lunch?", "Wie gaat er mee naar De Rode Fiets? Ik vertrek om half één.\n\nFleur"},
	{joris, "Kun je even bellen?", "Sanne, bel je me even als je een minuutje hebt? Gaat over Houten.\n\nJ."},
	{noor, "Betaalrun gedaan ✅", "Alle goedgekeurde facturen zijn betaald. Fijne middag!\n\nNoor"},
	{tanaka, "Tracking number air shipment NK-24117", "Dear Ms. de Vries,\n\nThe air shipment has left Osaka. Tracking number: NKA-5573-0912.\n\nBest regards,\n田中 健"},
	{jurgen, "Versandbestätigung Auftrag AB-1147", "Sehr geehrte Frau de Vries,\n\nder Rahmen ist heute an den Spediteur übergeben worden.\n\nMit freundlichen Grüßen\nJürgen Müller"},
	{daan, "Klant aan de balie voor jou", "Er staat een meneer aan de balie over een bakfiets voor de gemeente. Kom je even?\n\nDaan"},
	{fleur, "Foto's bakfiets staan online 📸", "De nieuwe foto's staan op de site. Kijk maar eens, vooral die bij de Dom is mooi geworden!\n\nFleur"},
}

var orderItems = []struct{ item, total string }{
	{"1× Stadsfiets Lombok, maat 57, kleur: zwart", "€ 1.049,00"},
	{"2× binnenband 28 inch, 1× bandenlichters", "€ 19,85"},
	{"1× kinderzitje achter, Yepp Maxi", "€ 99,95"},
	{"1× Molenaar Bakfiets, kleur: oker", "€ 2.895,00"},
	{"1× fietsslot ART-2, 1× verlichtingsset", "€ 84,90"},
	{"1× reparatiebeurt (afspraak)", "€ 65,00"},
}

var customers = []struct{ name, city string }{
	{"Bram de Wit", "Utrecht"}, {"Esra Yılmaz", "Nieuwegein"}, {"Jeroen Kok", "Bunnik"},
	{"Anouk Mulder", "Houten"}, {"Sven Peters", "Maarssen"}, {"Lieke de Jong", "Utrecht"},
}

// arrivals makes the n-th ticker messages: one for the IMAP inbox, one for the POP3 maildrop.
func arrivals(rng *rand.Rand, seed int64, n int, now time.Time) (imapRaw, popRaw []byte) {
	a := imapArrivals[rng.IntN(len(imapArrivals))]
	order := orderItems[rng.IntN(len(orderItems))]
	c := customers[rng.IntN(len(customers))]
	num := 10413 + n
	b := newBuilder(seed+int64(n), now)
	b.noJitter = true
	msgs, err := b.build([]letter{
		{key: fmt.Sprintf("nieuw-%d", n), from: a.from, to: []person{sanne}, subject: a.subject, text: a.text},
		{key: fmt.Sprintf("bestelling-%d", num), from: webshop, to: []person{info},
			subject: fmt.Sprintf("Nieuwe bestelling #%d", num), text: orderText(num, c.name, c.city, order.item, order.total)},
	})
	if err != nil || len(msgs) != 2 {
		return nil, nil // the letters above have no parents: build cannot fail
	}
	return msgs[0].raw, msgs[1].raw
}
