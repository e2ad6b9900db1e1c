package democrm

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Seeded record counts. Every dialect holds the same people and companies,
// so reconciliation across them can be demonstrated.
const (
	seedCompanies = 60
	seedPeople    = 300
)

// seedEpoch returns the fixed "now" of the seeded history, so seeded
// records do not depend on the clock.
func seedEpoch() time.Time { return time.Date(2025, time.January, 6, 9, 0, 0, 0, time.UTC) }

// company and person are the dialect-neutral seed records. Emails use the
// reserved .example top-level domain and phone numbers come from ranges set
// aside for fiction, so nothing here reaches a real person.
type company struct {
	name, domain, industry, city, country, phone string
	employees                                    int
	created                                      time.Time
}

type person struct {
	first, last, email, phone, title string
	company                          int // index into the companies
	created                          time.Time
}

// place is a city with a fictional phone range.
type place struct {
	city, country string
	phone         func(n int) string
}

func places() []place {
	return []place{
		{"San Francisco", "United States", func(n int) string { return fmt.Sprintf("+1 415 555 01%02d", n%100) }},
		{"New York", "United States", func(n int) string { return fmt.Sprintf("+1 212 555 01%02d", n%100) }},
		{"Austin", "United States", func(n int) string { return fmt.Sprintf("+1 512 555 01%02d", n%100) }},
		{"Toronto", "Canada", func(n int) string { return fmt.Sprintf("+1 416 555 01%02d", n%100) }},
		{"London", "United Kingdom", func(n int) string { return fmt.Sprintf("+44 20 7946 0%03d", n%1000) }},
		{"Manchester", "United Kingdom", func(n int) string { return fmt.Sprintf("+44 161 496 0%03d", n%1000) }},
		{"Paris", "France", func(n int) string { return fmt.Sprintf("+33 1 99 00 %02d %02d", n/100%100, n%100) }},
		{"Sydney", "Australia", func(n int) string { return fmt.Sprintf("+61 2 5550 %04d", n%10000) }},
		{"Melbourne", "Australia", func(n int) string { return fmt.Sprintf("+61 3 5550 %04d", n%10000) }},
	}
}

// seed builds the store with the same deterministic data for a given seed.
func seed(s uint64) *store {
	rnd := rand.New(rand.NewPCG(s, 0x7365656473))
	companies, people := seedData(rnd)
	st := newStore()
	seedSalesforce(st, companies, people)
	seedHubSpot(st, companies, people)
	seedOdoo(st, companies, people)
	seedSuiteCRM(st, companies, people)
	return st
}

func seedData(rnd *rand.Rand) ([]company, []person) {
	firsts := strings.Fields(`Ada Alan Grace Linus Margaret Ken Barbara Dennis Frances Edsger Hedy Tim Radia Vint
		Katherine Donald Sophie Lucas Emma Noah Mia Liam Olivia Mateo Chloé Hugo Léa Jonas Anna Lars Ingrid Pedro
		Sofía Yuki Hiroshi Wei Mei Arjun Priya Fatima Omar Zoë Ivan Olga Kofi Amara Nia Erik Freya Zofia Giulia
		Marco Seán Aoife Jordan Riley Camille Théo Nora Elif`)
	lasts := strings.Fields(`Lovelace Turing Hopper Torvalds Hamilton Thompson Liskov Ritchie Allen Dijkstra
		Lamarr Perlman Cerf Johnson Knuth Martin Dubois Müller Schmidt García Fernández Rossi Bianchi Jansen Nakamura
		Tanaka Zhang Wang Patel Sharma Haddad Mensah Okafor Nowak Kowalski Andersson Nielsen O'Brien Murphy Silva
		Costa Ivanova Novak Kim Park Nguyen Moreau Lefèvre Walsh Byrne Yılmaz Schneider Becker Rivera Brooks`)
	stems := strings.Fields(`Northwind Contoso Fabrikam Tailspin Wingtip Litware Adatum Proseware Lucerne Humongous
		Blue-Yonder Fourth-Coffee Margie Wide-World Alpine Bellows Coho Graphic Trey Woodgrove`)
	suffixes := []string{"Traders", "Logistics", "Systems", "Labs", "Health", "Energy", "Foods", "Analytics", "Travel", "Insurance"}
	industries := []string{"Retail", "Transportation", "Technology", "Healthcare", "Energy", "Food & Beverage", "Consulting", "Hospitality", "Insurance", "Manufacturing"}
	titles := []string{"CEO", "CFO", "CTO", "VP Sales", "Head of Operations", "Account Manager", "Purchasing Manager",
		"IT Director", "Marketing Lead", "Office Manager", "Software Engineer", "Customer Success Manager"}
	pl := places()
	fold := strings.NewReplacer("é", "e", "è", "e", "ë", "e", "í", "i", "ü", "ue", "ö", "oe", "ı", "i", "á", "a", "'", "", " ", "-")

	companies := make([]company, seedCompanies)
	used := map[string]bool{}
	for i := range companies {
		var name, slug string
		for {
			stem := stems[rnd.IntN(len(stems))]
			name = strings.ReplaceAll(stem, "-", " ") + " " + suffixes[rnd.IntN(len(suffixes))]
			slug = strings.ToLower(stem + "-" + strings.Fields(name)[len(strings.Fields(name))-1])
			if !used[slug] {
				break
			}
		}
		used[slug] = true
		p := pl[rnd.IntN(len(pl))]
		companies[i] = company{
			name: name, domain: slug + ".example", industry: industries[rnd.IntN(len(industries))],
			city: p.city, country: p.country, phone: p.phone(rnd.IntN(10000)),
			employees: 10 + rnd.IntN(5000),
			created:   seedEpoch().Add(-time.Duration(400+rnd.IntN(600)) * 24 * time.Hour),
		}
	}
	people := make([]person, seedPeople)
	emails := map[string]bool{}
	for i := range people {
		first, last := firsts[rnd.IntN(len(firsts))], lasts[rnd.IntN(len(lasts))]
		c := rnd.IntN(len(companies))
		local := strings.ToLower(fold.Replace(first) + "." + fold.Replace(last))
		email := local + "@" + companies[c].domain
		for n := 2; emails[email]; n++ {
			email = fmt.Sprintf("%s%d@%s", local, n, companies[c].domain)
		}
		emails[email] = true
		p := pl[rnd.IntN(len(pl))]
		for _, q := range pl {
			if q.city == companies[c].city {
				p = q
			}
		}
		people[i] = person{
			first: first, last: last, email: email, phone: p.phone(rnd.IntN(10000)),
			title: titles[rnd.IntN(len(titles))], company: c,
			created: companies[c].created.Add(time.Duration(rnd.IntN(390*24)) * time.Hour),
		}
	}
	return companies, people
}
