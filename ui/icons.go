package ui

import (
	"embed"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"postbode/localcache"
)

// The folder and flag icons are Material Design icons (Apache 2.0), which Fyne's own icons also come from.
//
//go:embed icons/*.svg
var iconFS embed.FS

func svgIcon(name string) fyne.Resource {
	data, err := iconFS.ReadFile("icons/" + name + ".svg")
	if err != nil {
		fyne.LogError("icon "+name, err)
		return theme.BrokenImageIcon()
	}
	return theme.NewThemedResource(fyne.NewStaticResource(name+".svg", data))
}

var (
	iconInbox       = svgIcon("inbox")
	iconAllInboxes  = svgIcon("allInboxes")
	iconArchive     = svgIcon("archive")
	iconJunk        = svgIcon("junk")
	iconDrafts      = svgIcon("drafts")
	iconMailUnread  = svgIcon("mailUnread")
	iconMailRead    = svgIcon("mailRead")
	iconMoveTo      = svgIcon("moveTo")
	iconStarOutline = svgIcon("starOutline")
	// iconStar is the flag mark: filled and in the warning (amber) colour, as mail clients show it.
	iconStar = theme.NewColoredResource(fyne.NewStaticResource("star.svg", mustIcon("star")), theme.ColorNameWarning)
)

func mustIcon(name string) []byte {
	data, err := iconFS.ReadFile("icons/" + name + ".svg")
	if err != nil {
		return nil
	}
	return data
}

// folderIcon is the icon of a folder by its special-use role.
func folderIcon(role string) fyne.Resource {
	switch role {
	case localcache.RoleInbox:
		return iconInbox
	case localcache.RoleDrafts:
		return iconDrafts
	case localcache.RoleSent:
		return theme.MailSendIcon()
	case localcache.RoleArchive:
		return iconArchive
	case localcache.RoleJunk:
		return iconJunk
	case localcache.RoleTrash:
		return theme.DeleteIcon()
	default:
		return theme.FolderIcon()
	}
}
