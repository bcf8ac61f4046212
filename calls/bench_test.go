package calls_test

import (
	"context"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calls"
)

// BenchmarkPaidCall runs a paid call through the ledger on SQLite: join
// (first hold), host join, end after 3 minutes and settlement (capture) —
// a dozen committed transactions, so it shows what each commit's
// durability costs. Serial, and with 16 calls at once (writers queue on
// SQLite's one write lock). bench/README.md has the numbers.
func BenchmarkPaidCall(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(map[int]string{1: "serial", 16: "concurrent16"}[par], func(b *testing.B) {
			bd := setup(b, "sqlite")
			l := bd.link(b, 100, 10)
			host := bd.hostCaller()
			ctx := context.Background()
			one := func() error {
				c, _, err := bd.svc.Join(ctx, calls.JoinRequest{ShortCode: l.ShortCode, PaymentMethodID: "pm_card_visa"})
				if err != nil {
					return err
				}
				if _, err := bd.svc.HostJoin(ctx, host, c.ID); err != nil {
					return err
				}
				_, err = bd.svc.End(ctx, host, c.ID, vidivo.EndUserEnded)
				return err
			}
			b.ResetTimer()
			start := time.Now()
			if par == 1 {
				for b.Loop() {
					if err := one(); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism(par / 2) // GOMAXPROCS is 2 on the bench machine
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := one(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
		})
	}
}
