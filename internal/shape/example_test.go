package shape_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"

	"github.com/crmguard/crmguard/internal/shape"
)

// The gateway feeds each call to a Book and periodically stores what Take
// returns; a Schema's JSON form is what gets stored.
func ExampleBook() {
	var b shape.Book
	for _, body := range []string{
		`{"Id":"003XX000004TmiQAAS","Email":"jane@example.com","Age":31}`,
		`{"Id":"003XX000004TmiRAAS","Email":null}`,
	} {
		b.Observe(shape.Exchange{
			Method: "GET", Path: "/sobjects/Contact/{id}",
			Query:  url.Values{"fields": {"Id,Email"}},
			Status: 200, ResponseType: "application/json", ResponseBody: []byte(body),
		})
	}
	ops := b.Take()
	stored, _ := json.MarshalIndent(ops[0].Responses["200"].Schema, "", "  ")
	fmt.Println(string(stored))
	// Output:
	// {
	//   "types": {
	//     "object": 2
	//   },
	//   "properties": {
	//     "Age": {
	//       "types": {
	//         "integer": 1
	//       }
	//     },
	//     "Email": {
	//       "types": {
	//         "string": 1,
	//         "null": 1
	//       },
	//       "formats": {
	//         "email": 1
	//       },
	//       "minLength": 16,
	//       "maxLength": 16
	//     },
	//     "Id": {
	//       "types": {
	//         "string": 2
	//       },
	//       "minLength": 18,
	//       "maxLength": 18
	//     }
	//   }
	// }
}

// crmguard contract learn merges the stored shapes of all replicas and
// renders them.
func ExampleRender() {
	var b shape.Book
	for range 5 {
		b.Observe(shape.Exchange{
			Method: "PATCH", Path: "/sobjects/Contact/{id}",
			RequestType: "application/json", RequestBody: []byte(`{"LastName":"Example"}`),
			Status: 204,
		})
	}
	out, err := shape.Render(b.Snapshot(), shape.RenderOptions{Title: "Salesforce", Version: "v59.0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(out)
	// Output:
	// openapi: 3.1.0
	// info:
	//   title: Salesforce
	//   version: v59.0
	//   description: 'Drafted by crmguard from observed traffic: types, formats and names only. Review before enforcing.'
	// paths:
	//   /sobjects/Contact/{id}:
	//     patch:
	//       operationId: patchSobjectsContactId
	//       parameters:
	//         - name: id
	//           in: path
	//           required: true
	//           schema:
	//             type: string
	//       requestBody:
	//         required: true
	//         content:
	//           application/json:
	//             schema:
	//               type: object
	//               properties:
	//                 LastName:
	//                   type: string
	//                   x-crmguard-observed: 5
	//               required:
	//                 - LastName
	//               x-crmguard-observed: 5
	//         x-crmguard-observed: 5
	//       responses:
	//         "204":
	//           description: Observed 5 times.
	//           x-crmguard-observed: 5
	//       x-crmguard-observed: 5
}
